/**
 * Queue consumers, dispatched by queue name (wrangler.toml). Each consumer acks or retries every
 * message on its own; one bad message never fails the batch.
 */
import { deadLettersConsumer } from "./consumers/dead-letters";
import { deliveriesConsumer } from "./consumers/deliveries";
import { fanoutConsumer } from "./consumers/fanout";

export type Consumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

const consumers: Record<string, Consumer> = {
  "switchboard-deliveries": deliveriesConsumer,
  "switchboard-dlq": deadLettersConsumer,
  "switchboard-dlq-retry": deadLettersConsumer,
  "switchboard-fanout": fanoutConsumer,
};

export async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue];
  if (consumer) return consumer(batch, env, ctx);
  for (const message of batch.messages) {
    console.error(JSON.stringify({ level: "error", msg: "no consumer for queue", queue: batch.queue, id: message.id }));
    message.retry();
  }
}

/**
 * Queue consumers. Each message is acked or retried on its own; one bad message never fails
 * the batch. (Async delivery, fan-out and dead letters arrive with their issues.)
 */
export async function queue(batch: MessageBatch<unknown>, _env: Env, _ctx: ExecutionContext): Promise<void> {
  for (const message of batch.messages) {
    console.warn(JSON.stringify({ level: "warn", msg: "no consumer yet for queue message", queue: batch.queue, id: message.id }));
    message.ack();
  }
}

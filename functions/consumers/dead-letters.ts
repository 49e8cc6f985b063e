/**
 * Consumer of `switchboard-dlq`: stores every dead letter durably. Letters sent by our consumers
 * carry their error and attempts; messages the queue moved here itself (a consumer that kept
 * crashing on them) are stored with what is known, so nothing accepted is ever lost.
 */
import { isDeliveryMessage } from "../../lib/protocols/delivery";
import { deadLetterStore } from "../../lib/resilience/dead-letter-store";
import { isDeadLetterMessage } from "../../lib/resilience/dead-letter";

export async function deadLettersConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      const body = message.body;
      if (isDeadLetterMessage(body)) {
        await deadLetterStore(env).put(body.letter);
      } else {
        const now = new Date().toISOString();
        const agent = typeof (body as { agent?: unknown })?.agent === "string" ? String((body as { agent: string }).agent) : "unknown";
        await deadLetterStore(env).put({
          agent,
          queue: isDeliveryMessage(body) ? "deliveries" : "fanout",
          body,
          error: { code: "consumer_failed", detail: "the queue consumer failed on this message until the queue gave up" },
          attempts: message.attempts,
          first_failed_at: now,
          last_failed_at: now,
        });
      }
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "storing dead letter failed", error: String(error) }));
      message.retry({ delaySeconds: 5 });
    }
  }
}

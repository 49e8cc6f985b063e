/**
 * Consumer of `switchboard-dlq` (and of `switchboard-dlq-retry`, where the first sends a letter it
 * kept failing to store, and which sends it back in turn): stores every dead letter durably.
 * Letters sent by producers carry their error and attempts; messages a queue moved here itself (a
 * consumer that kept crashing on them) are stored with what is known. A letter that cannot be
 * stored is retried with backoff, and the two queues hand it to each other after their retries,
 * so an outage of the store delays a letter but never drops it.
 */
import { isDeliveryMessage } from "../../lib/protocols/delivery";
import { type DeadLetter, isDeadLetterMessage } from "../../lib/resilience/dead-letter";
import { deadLetters } from "../../lib/resilience/dead-letter-store";
import { backoffSeconds } from "../../lib/resilience/retry";

/** 5 s, doubling, at most an hour: 100 retries (wrangler.toml) span about four days per queue. */
const STORE_RETRY = { retry_delay_ms: 5000, max_retry_delay_ms: 3_600_000 };

export async function deadLettersConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await deadLetters(env).put(letterOf(message));
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "storing dead letter failed; retrying", attempts: message.attempts, error: String(error) }));
      message.retry({ delaySeconds: backoffSeconds(message.attempts, STORE_RETRY) });
    }
  }
}

/** The letter a message carries, or one describing a message the queue moved here itself. */
function letterOf(message: Message<unknown>): DeadLetter {
  const body = message.body;
  if (isDeadLetterMessage(body)) return body.letter;
  const now = new Date().toISOString();
  const agent = (body as { agent?: unknown } | null)?.agent;
  return {
    agent: typeof agent === "string" ? agent.slice(0, 128) : "unknown",
    queue: isDeliveryMessage(body) ? "deliveries" : "fanout",
    body,
    error: { code: "consumer_failed", detail: "the queue consumer failed on this message until the queue gave up" },
    attempts: message.attempts,
    first_failed_at: now,
    last_failed_at: now,
  };
}

/**
 * Dead letters: what could not be delivered after its retries, kept where a person can see and
 * replay it. Producers (the delivery and fan-out consumers) send a `DeadLetter` to the
 * `switchboard-dlq` queue; its consumer stores it durably (GET /dlq). `replay` re-sends `body`
 * to the queue it came from.
 */
import type { Envelope } from "../message/envelope";

export type ReplayQueue = "deliveries" | "fanout";

export interface DeadLetter {
  /** The agent the message was for (the observer, for fan-out deliveries). */
  agent: string;
  /** Which queue `body` is replayed to. */
  queue: ReplayQueue;
  /** The original queue message, replayable as is. */
  body: unknown;
  /** The message envelope, when known, for people reading the entry. */
  message?: Envelope;
  error: { code: string; detail: string };
  attempts: number;
  first_failed_at: string;
  last_failed_at: string;
  /** Set when this letter is a replay of an existing entry that failed again. */
  replay_of?: string;
}

/** Sends a dead letter to the DLQ queue. Awaited: a dead letter must never be fire-and-forget. */
export async function sendDeadLetter(queue: Queue, letter: DeadLetter): Promise<void> {
  await queue.send({ kind: "dead_letter", letter }, { contentType: "json" });
}

export function isDeadLetterMessage(body: unknown): body is { kind: "dead_letter"; letter: DeadLetter } {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "dead_letter";
}

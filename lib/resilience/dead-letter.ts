/**
 * Dead letters: what could not be delivered after its retries, kept where a person can see and
 * replay it. Producers store a `DeadLetter` in the dead-letter store by RPC (so any size the API
 * accepts fits: a queue message holds at most 128 KB), an async request's from the agent's own
 * object, which keeps it until stored; the `switchboard-dlq` queue is the fallback path, and the
 * one the queues themselves use for messages a consumer kept failing on. Replay re-sends `body` to
 * the queue it came from, or, for an async request, recreates the request from the letter.
 */
import type { Envelope } from "../message/envelope";

export type ReplayQueue = "deliveries" | "fanout";

export interface DeadLetter {
  /**
   * The entry's id, chosen by the producer, so a store retried after a lost answer keeps one
   * entry. An entry that already has it is updated in place (a replay that failed again).
   */
  id?: string;
  /** The agent the message was for (the observer, for fan-out deliveries). */
  agent: string;
  /** Which queue `body` is replayed to. */
  queue: ReplayQueue;
  /** The original queue message: a reference for async requests, replayable as is otherwise. */
  body: unknown;
  /** The message envelope, when known: for people reading the entry, and to recreate the request. */
  message?: Envelope;
  /** An async request's own settings, so a replay can recreate it after its row was pruned. */
  request?: { reply_to: string | null; timeout_ms: number | null };
  error: { code: string; detail: string };
  attempts: number;
  first_failed_at: string;
  last_failed_at: string;
  /** Set when this letter is a replay of an existing entry that failed again (same as `id`). */
  replay_of?: string;
}

/** Sends a dead letter to the DLQ queue. Awaited: a dead letter must never be fire-and-forget. */
export async function sendDeadLetter(queue: Queue, letter: DeadLetter): Promise<void> {
  await queue.send({ kind: "dead_letter", letter }, { contentType: "json" });
}

export function isDeadLetterMessage(body: unknown): body is { kind: "dead_letter"; letter: DeadLetter } {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "dead_letter";
}

/**
 * Helpers every queue consumer uses to finish a message: dead-letter it (awaited, then ack), and
 * settle a replay (remove the dead-letter entry once its replay was delivered).
 */
import { deadLetterStore } from "../../lib/resilience/dead-letter-store";
import { type DeadLetter, type ReplayQueue, sendDeadLetter } from "../../lib/resilience/dead-letter";

/** The original body without replay bookkeeping, so a replay of a replay stays one entry. */
export function replayable<T extends { replay_of?: string }>(body: T): Omit<T, "replay_of"> {
  const { replay_of: _, ...rest } = body;
  return rest;
}

export async function deadLetter(env: Env, queue: ReplayQueue, body: { replay_of?: string }, letter: Omit<DeadLetter, "queue" | "body">): Promise<void> {
  await sendDeadLetter(env.DEAD_LETTERS, {
    ...letter,
    queue,
    body: replayable(body),
    ...(body.replay_of ? { replay_of: body.replay_of } : {}),
  });
}

export async function settleReplay(env: Env, body: { replay_of?: string }): Promise<void> {
  if (body.replay_of) await deadLetterStore(env).remove(body.replay_of);
}

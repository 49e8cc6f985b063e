/**
 * Helpers every queue consumer uses to finish a message: dead-letter it (awaited, then ack), and
 * settle a replay (remove the dead-letter entry once its replay was delivered).
 */
import { deadLetters } from "../../lib/resilience/dead-letter-store";
import { type DeadLetter, type ReplayQueue, sendDeadLetter } from "../../lib/resilience/dead-letter";

/**
 * Stores a letter: by RPC into the dead-letter store (no size limit short of the store's), else
 * through the `switchboard-dlq` queue, whose consumer retries until it is stored. Throws when
 * both fail, so the caller retries the message instead of acking what it could not park.
 */
export async function storeDeadLetter(env: Env, letter: DeadLetter): Promise<void> {
  try {
    await deadLetters(env).put(letter);
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", msg: "dead-letter store unreachable; queueing the letter", agent: letter.agent, error: String(error) }));
    await sendDeadLetter(env.DEAD_LETTERS, letter);
  }
}

/** The original body without replay bookkeeping, so a replay of a replay stays one entry. */
export function replayable<T extends { replay_of?: string }>(body: T): Omit<T, "replay_of"> {
  const { replay_of: _, ...rest } = body;
  return rest;
}

export async function deadLetter(env: Env, queue: ReplayQueue, body: { replay_of?: string }, letter: Omit<DeadLetter, "queue" | "body">): Promise<void> {
  await storeDeadLetter(env, {
    ...letter,
    queue,
    body: replayable(body),
    ...(body.replay_of ? { replay_of: body.replay_of } : {}),
  });
}

/** A replay of dead letter `letterId` got through: the entry goes. */
export async function settleReplay(env: Env, letterId: string | undefined): Promise<void> {
  if (letterId) await deadLetters(env).remove(letterId);
}

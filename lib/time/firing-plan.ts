/**
 * Which firings of a schedule are due when its alarm runs, under its catch-up policy. A schedule
 * remembers only the next due time it has not fired (`next_at`); everything from there up to now
 * was missed unless it fires now:
 *
 *   - `all`: every missed due time fires, oldest first — at most `MAX_CATCH_UP`, the newest ones;
 *   - `one` (the default): the latest due time fires once, standing for all the missed ones;
 *   - `none`: missed firings are dropped; the latest fires only if it is on time (within `GRACE_MS`).
 *
 * Then `next_at` moves past now. Pure: the caller passes the clock.
 */
import type { Recurrence } from "./recurrence";

export type CatchUp = "none" | "one" | "all";

/** The most missed firings `catch_up: "all"` fires at once. @default 100 */
export const MAX_CATCH_UP = 100;
/** How late a firing may be and still count as on time (a busy alarm, not downtime). @default 60000 */
export const GRACE_MS = 60_000;

export interface FiringPlan {
  /** Due times to fire now, oldest first. */
  fire: number[];
  /** Due times dropped by the policy (a lower bound when more than MAX_CATCH_UP were missed). */
  skipped: number;
  /** The next due time after now, or null when the schedule never fires again. */
  next_at: number | null;
}

export function planFirings(schedule: { next_at: number; catch_up: CatchUp }, recurrence: Recurrence, now: number): FiringPlan {
  const { next_at: nextAt, catch_up: catchUp } = schedule;
  if (nextAt > now) return { fire: [], skipped: 0, next_at: nextAt };
  const next_at = recurrence.next(now);
  const latest = recurrence.latest(now, 1)[0] ?? nextAt;
  const onTime = now - latest <= GRACE_MS;
  // The usual case: the one due time is the one this alarm was set for.
  if (latest <= nextAt) return { fire: catchUp === "none" && !onTime ? [] : [nextAt], skipped: catchUp === "none" && !onTime ? 1 : 0, next_at };
  // Several were missed: count them (up to one more than the bound, so "more than" shows).
  const missed = recurrence
    .latest(now, MAX_CATCH_UP + 1)
    .filter((at) => at >= nextAt)
    .reverse();
  const fire = catchUp === "all" ? missed.slice(-MAX_CATCH_UP) : catchUp === "one" || onTime ? [latest] : [];
  return { fire, skipped: missed.length - fire.length, next_at };
}

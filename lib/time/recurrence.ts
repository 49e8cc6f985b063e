/**
 * When a recurring schedule is due: a 5-field cron expression read in UTC or an IANA time zone
 * (parsed by croner: no dependencies, time zones through Intl, DST gaps and repeats handled), or a
 * fixed interval from an anchor. Pure: every function takes the time it asks about, so a test can
 * walk a schedule through any clock.
 */
import { Cron } from "croner";

export type RecurrenceSpec = { cron: string; timezone?: string } | { every_ms: number };

export interface Recurrence {
  /** The first due time strictly after `after`, or null when there is none (a cron that never matches again). */
  next(after: number): number | null;
  /** Due times at or before `upTo`, newest first, at most `count`. */
  latest(upTo: number, count: number): number[];
}

/** The shortest interval a schedule may have: no schedule fires more often than once a second. @default 1000 */
export const MIN_INTERVAL_MS = 1000;

/** A recurrence from a valid spec; `anchor` is the first due time of an interval (cron has none). */
export function recurrence(spec: RecurrenceSpec, anchor: number): Recurrence {
  return "cron" in spec ? cronRecurrence(spec.cron, spec.timezone) : intervalRecurrence(spec.every_ms, anchor);
}

function cronRecurrence(pattern: string, timezone: string | undefined): Recurrence {
  const cron = new Cron(pattern, { mode: "5-part", timezone: timezone ?? "UTC" });
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? null,
    // croner counts back from before its reference: a millisecond later includes `upTo` itself.
    latest: (upTo, count) => cron.previousRuns(count, new Date(upTo + 1)).map((d) => d.getTime()),
  };
}

function intervalRecurrence(everyMs: number, anchor: number): Recurrence {
  const index = (t: number) => Math.floor((t - anchor) / everyMs);
  return {
    next: (after) => (after < anchor ? anchor : anchor + (index(after) + 1) * everyMs),
    latest: (upTo, count) => {
      if (upTo < anchor) return [];
      const newest = index(upTo);
      return Array.from({ length: Math.min(count, newest + 1) }, (_, k) => anchor + (newest - k) * everyMs);
    },
  };
}

/** Why a cron expression cannot be used, or null when it can. */
export function cronProblem(pattern: string, timezone?: string): string | null {
  if (pattern.trim().split(/\s+/).length !== 5 || pattern.includes("@")) {
    return 'a cron expression has 5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"';
  }
  try {
    const cron = new Cron(pattern, { mode: "5-part", timezone: timezone ?? "UTC" });
    if (cron.nextRun() === null) return `"${pattern}" never fires`;
    return null;
  } catch (error) {
    return String(error instanceof Error ? error.message : error).replace(/^CronPattern: /, "");
  }
}

/** True when `zone` is an IANA time zone this runtime knows, e.g. "Europe/Paris". */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

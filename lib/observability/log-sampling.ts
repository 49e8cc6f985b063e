/**
 * Log sampling for hot agents (`log: { sample: 0.1 }`): the message log keeps every failure and
 * that fraction of the successes. Successes are chosen by trace id, so every agent sampling at the
 * same rate keeps the same traces and a kept flow is whole in `GET /traces/:id`; a row with no
 * trace is chosen at random. Metrics count every message before this decision, so counters, the
 * duration histogram and the dashboard's counts stay exact.
 */
import { hashKey } from "../registry/shards";
import type { LogRow } from "./message-log";

/** Outcomes that are not failures. */
export const SUCCESS_OUTCOMES: ReadonlySet<string> = new Set(["ok", "forwarded", "sent", "enqueued", "applied"]);

export function isSuccess(outcome: string): boolean {
  return SUCCESS_OUTCOMES.has(outcome);
}

/** Whether the log keeps `row` when the agent samples `rate` (0 < rate ≤ 1) of its successes. */
export function keepsRow(row: Pick<LogRow, "outcome" | "trace_id">, rate: number, random: () => number = Math.random): boolean {
  if (rate >= 1 || !isSuccess(row.outcome)) return true;
  const point = row.trace_id ? hashKey(row.trace_id) / 2 ** 32 : random();
  return point < rate;
}

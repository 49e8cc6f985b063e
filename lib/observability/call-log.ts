/**
 * How calls and replies show in an agent's message log: one row per call the pipeline finished
 * (inbound) or the agent's handler made (outbound), and one row per reply that arrived for, or
 * never arrived for, a request this agent made with `ctx.request`.
 */
import type { Call, Outcome } from "../message/call";
import type { Envelope } from "../message/envelope";
import { type LogRow, preview } from "./message-log";
import { traceIdOf } from "../message/trace";

/** What a row shows of a call: its message, how it came and how deep; never its deadline. */
export type LoggedCall = Pick<Call, "message" | "path" | "pattern">;

/** The row of one finished call, seen from this agent: `in` when it was called, `out` when it called. */
export function callRow(direction: "in" | "out", outcome: Omit<Outcome, "call"> & { call: LoggedCall }, now = Date.now()): LogRow {
  const { call } = outcome;
  return {
    id: call.message.id,
    at: new Date(now).toISOString(),
    direction,
    from: call.message.from,
    to: call.message.to,
    role: call.message.role,
    pattern: call.pattern,
    outcome: outcome.outcome,
    duration_ms: outcome.duration_ms,
    trace_id: traceIdOf(call.message.trace.traceparent),
    request_id: (call.message.metadata.request_id as string | undefined) ?? null,
    preview: preview(call.message.content),
    detail: outcome.detail ?? null,
    depth: call.path.length,
  };
}

/**
 * The row of a reply to request `requestId` of agent `self`: `outcome` is `ok`, `duplicate`, `late`,
 * `unknown`, or `timed_out` (then there is no `reply`).
 */
export function replyRow(self: string, requestId: string, outcome: string, reply?: Envelope, now = Date.now()): LogRow {
  return {
    id: reply?.id ?? requestId,
    at: new Date(now).toISOString(),
    direction: "in",
    from: reply?.from ?? null,
    to: self,
    role: "reply",
    pattern: "reply",
    outcome,
    duration_ms: null,
    trace_id: reply ? traceIdOf(reply.trace.traceparent) : null,
    request_id: requestId,
    preview: reply ? preview(reply.content) : null,
    detail: outcome === "late" ? "reply arrived after the request timed out; dropped" : null,
  };
}

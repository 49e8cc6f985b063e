/**
 * How observer fan-out shows in the observed agent's message log: one row when an event is
 * enqueued for its observers, and one row for each delivery the fan-out consumer gave up on.
 */
import { type LogRow, preview } from "../observability/message-log";
import { traceIdOf } from "../message/trace";
import type { FanoutMessage } from "./fanout";

/** An event of `agent`, enqueued as one message per observer. */
export function eventRow(
  agent: string,
  emitted: { event_id: string; observers: number; event: string; data: unknown; traceparent: string | null },
  now = Date.now(),
): LogRow {
  return {
    id: emitted.event_id,
    at: new Date(now).toISOString(),
    direction: "out",
    from: agent,
    to: `${emitted.observers} observers`,
    role: "event",
    pattern: "fanout",
    outcome: "enqueued",
    duration_ms: null,
    trace_id: traceIdOf(emitted.traceparent),
    request_id: null,
    preview: preview({ event: emitted.event, data: emitted.data }),
    detail: null,
  };
}

/** One observer's delivery of an event, dead-lettered after `attempts`; the detail is capped at 500 characters. */
export function deadLetteredEventRow(message: FanoutMessage, error: { code: string; detail: string }, attempts: number, now = Date.now()): LogRow {
  return {
    id: message.envelope.id,
    at: new Date(now).toISOString(),
    direction: "out",
    from: message.observed,
    to: message.observer ?? message.url ?? "",
    role: "event",
    pattern: "fanout",
    outcome: "dead_lettered",
    duration_ms: null,
    trace_id: traceIdOf(message.envelope.trace.traceparent),
    request_id: null,
    preview: preview(message.envelope.content),
    detail: `${error.code} after ${attempts} attempts: ${error.detail}`.slice(0, 500),
  };
}

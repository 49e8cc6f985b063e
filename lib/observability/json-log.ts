/**
 * One structured JSON line per message for Workers Logs and `wrangler tail`: who, to whom, by which
 * pattern, the outcome and how long it took, with the trace id to find the whole flow. Never the
 * payload or anything secret: content appears only in the message log's short preview.
 */
import type { LogRow } from "./message-log";

export interface MessageLogLine {
  level: "info" | "warn";
  msg: "message";
  agent: string;
  direction: LogRow["direction"];
  id: string;
  trace_id: string | null;
  from: string | null;
  to: string;
  pattern: string;
  outcome: string;
  duration_ms: number | null;
  request_id?: string;
}

/** The line for one log row; failures log at `warn` so they stand out in `wrangler tail`. */
export function messageLogLine(agent: string, row: LogRow): MessageLogLine {
  const ok = row.outcome === "ok" || row.outcome === "forwarded";
  return {
    level: ok ? "info" : "warn",
    msg: "message",
    agent,
    direction: row.direction,
    id: row.id,
    trace_id: row.trace_id,
    from: row.from,
    to: row.to,
    pattern: row.pattern,
    outcome: row.outcome,
    duration_ms: row.duration_ms,
    ...(row.request_id ? { request_id: row.request_id } : {}),
  };
}

export function writeMessageLog(agent: string, row: LogRow): void {
  console.log(JSON.stringify(messageLogLine(agent, row)));
}

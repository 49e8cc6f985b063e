/**
 * How batching shows in an agent's message log: one row per flush (pattern "batch", the batch id,
 * size, trigger and timing in `detail`), and one row per result whose caller no longer waits.
 * Each caller's own row is written by the pipeline as for any call.
 */
import { type LogRow, preview } from "./message-log";
import { traceIdOf } from "../message/trace";
import type { ItemResult, StoredItem } from "../resilience/batch-buffer";
import type { FlushReport } from "../resilience/batcher";

/** A flush as one line of the message log's `detail`. */
export function describeFlush(report: FlushReport): string {
  const base = `batch size=${report.size} trigger=${report.trigger} waited_ms=${report.waited_ms} model_ms=${report.model_ms} answered=${report.answered} retried=${report.retried} failed=${report.failed}`;
  return report.error ? `${base} error=${report.error.code}: ${report.error.detail}` : base;
}

export function flushRow(agent: string, report: FlushReport, now: number): LogRow {
  return {
    id: report.batch_id,
    at: new Date(now).toISOString(),
    direction: "in",
    from: null,
    to: agent,
    role: "agent_call",
    pattern: "batch",
    outcome: report.error?.code ?? "ok",
    duration_ms: report.model_ms,
    trace_id: null,
    request_id: null,
    preview: null,
    detail: describeFlush(report),
  };
}

/** A result whose caller timed out or was evicted: logged, and kept in the buffer for a redelivery. */
export function unclaimedRow(item: StoredItem, result: ItemResult, now: number): LogRow {
  return {
    id: item.id,
    at: new Date(now).toISOString(),
    direction: "in",
    from: item.meta.from,
    to: item.agent,
    role: "agent_call",
    pattern: "batch",
    outcome: result.ok ? "ok" : result.code,
    duration_ms: now - item.enqueued_at,
    trace_id: traceIdOf(item.meta.traceparent),
    request_id: item.meta.request_id,
    preview: result.ok ? preview(result.content) : null,
    detail: result.ok ? "unclaimed: the caller stopped waiting; result kept for redelivery" : `unclaimed: ${result.detail}`,
  };
}

/**
 * W3C Trace Context. Every request carries a `traceparent`; we accept a valid incoming one, start a
 * new trace otherwise, and give each hop its own span id within the same trace.
 */
import { randomBytes } from "./random-bytes";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** "00" … "ff": ids are made on every request and every hop, so a byte is one lookup rather than a format. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function hex(bytes: number): string {
  let out = "";
  for (const b of randomBytes(bytes)) out += HEX[b];
  return out;
}

export function parseTraceparent(value: string | null | undefined): { traceId: string; spanId: string; flags: string } | null {
  const match = TRACEPARENT.exec((value ?? "").trim().toLowerCase());
  if (!match) return null;
  const [, traceId = "", spanId = "", flags = "01"] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags };
}

/**
 * A new trace: its id starts with the time in seconds (8 hex digits, as AWS X-Ray's trace ids do),
 * then 12 random bytes. The trace index (lib/observability/trace-index.ts) keys its rows by trace
 * id, so ids that grow with time are written at the end of its b-tree: a batch of a second's traces
 * dirties a few pages rather than one page per trace across the whole index (bench/README.md has
 * the page counts). 96 random bits keep ids unique; the log's sampling hashes the whole id, so it
 * stays uniform.
 */
export function newTraceparent(now = Date.now()): string {
  const seconds = Math.floor(now / 1000) >>> 0;
  return `00-${seconds.toString(16).padStart(8, "0")}${hex(12)}-${hex(8)}-01`;
}

/** A traceparent for the next hop: same trace, new span. Starts a trace if `parent` is invalid. */
export function childTraceparent(parent: string | null | undefined): string {
  const parsed = parseTraceparent(parent);
  return parsed ? `00-${parsed.traceId}-${hex(8)}-${parsed.flags}` : newTraceparent();
}

export function traceIdOf(traceparent: string | null | undefined): string | null {
  return parseTraceparent(traceparent)?.traceId ?? null;
}

/** Anything a hop may carry its trace in: an envelope, a queue body holding one, headers, or a raw value. */
export type TraceSource =
  | string
  | null
  | undefined
  | Headers
  | { trace?: { traceparent?: string } | null }
  | { message?: { trace?: { traceparent?: string } } };

/**
 * The parent traceparent carried by `source`, for hops other than a direct envelope: queue
 * consumers (pass the queue body or its envelope), fan-out, map-reduce, A2A (pass request headers).
 * Give the result to `makeEnvelope({ traceparent })` or `traceHeaders()`, which open a new span.
 */
export function traceFrom(source: TraceSource): string | null {
  if (source === null || source === undefined) return null;
  if (typeof source === "string") return parseTraceparent(source) ? source.trim().toLowerCase() : null;
  if (source instanceof Headers) return traceFrom(source.get("traceparent"));
  if ("trace" in source && source.trace) return traceFrom(source.trace.traceparent);
  if ("message" in source && source.message) return traceFrom(source.message.trace?.traceparent);
  return null;
}

/** Headers for an outbound HTTP hop (A2A, reply_to, observers): same trace, a new span. */
export function traceHeaders(parent: TraceSource): { traceparent: string } {
  return { traceparent: childTraceparent(traceFrom(parent)) };
}

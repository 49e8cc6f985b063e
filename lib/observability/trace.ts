/**
 * W3C Trace Context. Every request carries a `traceparent`; we accept a valid incoming one, start a
 * new trace otherwise, and give each hop its own span id within the same trace.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function hex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function parseTraceparent(value: string | null | undefined): { traceId: string; spanId: string; flags: string } | null {
  const match = TRACEPARENT.exec((value ?? "").trim().toLowerCase());
  if (!match) return null;
  const [, traceId = "", spanId = "", flags = "01"] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags };
}

export function newTraceparent(): string {
  return `00-${hex(16)}-${hex(8)}-01`;
}

/** A traceparent for the next hop: same trace, new span. Starts a trace if `parent` is invalid. */
export function childTraceparent(parent: string | null | undefined): string {
  const parsed = parseTraceparent(parent);
  return parsed ? `00-${parsed.traceId}-${hex(8)}-${parsed.flags}` : newTraceparent();
}

export function traceIdOf(traceparent: string | null | undefined): string | null {
  return parseTraceparent(traceparent)?.traceId ?? null;
}

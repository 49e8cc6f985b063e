/**
 * The one place where error codes become HTTP: problem+json (RFC 9457) with the stable `code`
 * and, for 429/503, `Retry-After`.
 */
import type { Context } from "hono";
import { ERROR_STATUS, type ErrorCode, type Failure, problemOf, SwitchboardError } from "../../lib/message/errors";

export function problemResponse(code: ErrorCode, detail: string, retryAfter?: number): Response {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (retryAfter !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfter)));
  return new Response(JSON.stringify(problemOf(code, detail)), { status: ERROR_STATUS[code], headers });
}

export function failureResponse(f: Failure): Response {
  return problemResponse(f.code, f.detail, f.retry_after);
}

/** Hono's onError: our errors as problems; anything else is a bug, logged and answered 500. */
export function onError(error: Error, c: Context): Response {
  if (error instanceof SwitchboardError) return problemResponse(error.code, error.message, error.retryAfter);
  console.error(JSON.stringify({ level: "error", msg: "unhandled error", path: new URL(c.req.url).pathname, error: String(error?.stack ?? error) }));
  return new Response(
    JSON.stringify({ type: "about:blank", title: "Internal error", status: 500, code: "internal", detail: "unexpected error; see the worker logs" }),
    { status: 500, headers: { "content-type": "application/problem+json" } },
  );
}

/**
 * Browsers as callers: Hono's `cors` middleware, before authentication, so a preflight (which never
 * carries a key) is answered, and every answer — a 401 or 403 too — is readable by an allowed page.
 * Origins come from `SWITCHBOARD_CORS_ORIGINS` (lib/security/origins.ts); empty, the default, allows
 * no other origin. A preflight only tells the browser what it may send: it runs no route and grants
 * nothing, and the real request still needs a key. Credentials are never allowed, so a browser
 * never sends the dashboard's session cookie cross-origin (and the session ignores it if one does,
 * functions/http/session.ts); `x-switchboard-csrf` is not an allowed header either.
 */
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { type OriginList, originAllowed, parseOriginList } from "../../lib/security/origins";
import { addAnswerHeader } from "./answer-headers";
import type { AppEnv } from "./app-env";

/** Methods the API's routes use. */
export const CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"];

/** Request headers a browser client may send beyond the CORS-safelisted ones: the key, JSON bodies, trace context, stream resumption, A2A's and MCP's. */
export const CORS_REQUEST_HEADERS = [
  "authorization",
  "content-type",
  "traceparent",
  "tracestate",
  "last-event-id",
  "a2a-version",
  "a2a-extensions",
  "mcp-session-id",
  "mcp-protocol-version",
];

/** Response headers a page may read: the trace to look up, when to retry, the stream to resume, the MCP session. */
export const CORS_EXPOSED_HEADERS = ["traceparent", "retry-after", "x-stream-id", "mcp-session-id", "idempotent-replayed"];

/**
 * How long a browser may reuse a preflight answer. Ten minutes: a page calling an agent repeatedly
 * skips the extra round trip, and a removed origin stops working soon after. @default 600
 */
export const CORS_MAX_AGE_S = 600;

let cached: { source: string; list: OriginList } | null = null;

/** The parsed allowlist, once per isolate and value; an entry that is not an origin is reported once and allows nothing. */
export function corsOrigins(source: string | undefined): OriginList {
  const text = source ?? "";
  if (cached?.source !== text) {
    cached = { source: text, list: parseOriginList(text) };
    if (cached.list.invalid.length) {
      console.warn(JSON.stringify({ level: "warn", msg: "SWITCHBOARD_CORS_ORIGINS: entries that are not origins are ignored", entries: cached.list.invalid }));
    }
  }
  return cached.list;
}

const honoCors = cors({
  origin: (origin, c) => (origin && originAllowed(corsOrigins((c.env as AppEnv["Bindings"]).SWITCHBOARD_CORS_ORIGINS).patterns, origin) ? origin : null),
  allowMethods: CORS_METHODS,
  allowHeaders: CORS_REQUEST_HEADERS,
  exposeHeaders: CORS_EXPOSED_HEADERS,
  maxAge: CORS_MAX_AGE_S,
  credentials: false,
});

/** A CORS preflight as the Fetch standard defines it; Hono's `cors` would answer any OPTIONS with 204. */
function isPreflight(c: Context<AppEnv>): boolean {
  return c.req.method === "OPTIONS" && Boolean(c.req.header("origin")) && Boolean(c.req.header("access-control-request-method"));
}

/**
 * Every request but an OPTIONS that is no preflight, which goes on to authentication like any other
 * method. A request without `Origin` is no browser's cross-origin call, so no `Access-Control-*`
 * header could mean anything to it; it gets only `Vary: Origin` (its answer would carry them with
 * one), and skips Hono's `cors`, whose headers set before the route make Hono copy the route's
 * Response to merge them in.
 */
export const corsMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "OPTIONS" && !isPreflight(c)) return next();
  if (c.req.header("origin")) return honoCors(c, next);
  await next();
  addAnswerHeader(c, "vary", "Origin", "append");
};

/**
 * Cookie sessions for browsers (dashboard, docs): login and logout routes, the cookie check the
 * auth middleware falls back to when there is no Authorization header, and the CSRF rule — a
 * cookie-authenticated request that changes state must carry `x-switchboard-csrf: 1`, a header a
 * cross-site form cannot send and a cross-site fetch cannot send without a CORS preflight we never
 * grant (functions/http/cors.ts). The cookie is SameSite=Strict, and a request from another origin
 * — even an allowed CORS origin, even a sibling subdomain — is never authenticated by it.
 * Bearer-key requests are unaffected.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ERROR_STATUS, SwitchboardError } from "../../lib/message/errors";
import { authenticate, type Principal } from "../../lib/security/keys";
import { clearedSessionCookie, issueSession, readCookie, SESSION_COOKIE, sessionCookie, verifySession } from "../../lib/security/session-cookie";
import { loginPage, safeNext } from "../pages/login";
import type { AppEnv } from "./app-env";
import { failedAuthentication, throttled } from "./auth-throttle";
import { problemResponse } from "./problem";
import { foreignOrigin } from "./request-origin";
import { problems, route } from "./route";

export const CSRF_HEADER = "x-switchboard-csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const MAX_FORM_BYTES = 4096;

/** The principal of a valid session cookie, or null. Throws 403 for a state change without the CSRF header. */
export async function sessionPrincipal(c: Context<AppEnv>): Promise<Principal | null> {
  const token = readCookie(c.req.header("cookie"), SESSION_COOKIE);
  if (!token || foreignOrigin(c) !== null) return null;
  const principal = await verifySession(c.env.SWITCHBOARD_API_KEYS, token);
  if (principal && !SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== "1") {
    throw new SwitchboardError("forbidden", `cookie-authenticated ${c.req.method} requests must send the ${CSRF_HEADER}: 1 header`);
  }
  return principal;
}

/** A browser navigating to a page: answer 401 with the login form rather than problem+json. */
export function wantsHtml(c: Context<AppEnv>): boolean {
  return (c.req.method === "GET" || c.req.method === "HEAD") && /\btext\/html\b/i.test(c.req.header("accept") ?? "");
}

export function unauthenticatedResponse(c: Context<AppEnv>, detail: string): Response {
  return wantsHtml(c) ? loginPage({ next: c.req.path }) : problemResponse("unauthorized", detail);
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * Login CSRF: browsers label a form POST with Sec-Fetch-Site; only our own pages may sign a browser
 * in. Without that header, fall back to comparing Origin with this request's host.
 */
function crossSite(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site) return site !== "same-origin" && site !== "none";
  return foreignOrigin(c) !== null;
}

const LoginForm = z.object({ key: z.string().min(1), next: z.string().optional() }).openapi("LoginForm");

export function sessionRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/dashboard/login",
      tags: ["dashboard"],
      summary: "Exchange an API key (form field `key`) for an HttpOnly session cookie (public)",
      security: [],
      request: { body: { required: true, content: { "application/x-www-form-urlencoded": { schema: LoginForm } } } },
      responses: { 303: { description: "signed in; cookie set, redirect to `next` or /dashboard" }, ...problems(400, 401, 403) },
    },
    async (c) => {
      if (crossSite(c)) throw new SwitchboardError("forbidden", "login from another site");
      const bytes = await c.req.arrayBuffer();
      if (bytes.byteLength > MAX_FORM_BYTES) throw new SwitchboardError("payload_too_large", "login form too large");
      const text = new TextDecoder().decode(bytes);
      const form = new URLSearchParams(text);
      const key = form.get("key") ?? "";
      const next = safeNext(form.get("next"));
      const html = /\btext\/html\b/i.test(c.req.header("accept") ?? "");
      // Logins are guesses of a key like any other: throttled per address with them (./auth-throttle.ts).
      let refused = throttled(c);
      const principal = refused || !key ? null : await authenticate(c.env.SWITCHBOARD_API_KEYS, key);
      if (!principal) {
        refused ??= await failedAuthentication(c, "unknown API key");
        if (!html) throw refused;
        const message =
          refused.code === "rate_limited" ? `Too many failed sign-ins from this address; try again in ${refused.retryAfter} s.` : "That key is not valid.";
        const page = loginPage({ next, error: message, status: ERROR_STATUS[refused.code] });
        if (refused.retryAfter !== undefined) page.headers.set("retry-after", String(refused.retryAfter));
        return page;
      }
      const token = await issueSession(principal, key);
      return new Response(null, { status: 303, headers: { location: next, "set-cookie": sessionCookie(token, isHttps(c)), "cache-control": "no-store" } });
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/dashboard/logout",
      tags: ["dashboard"],
      summary: "Clear the session cookie (public)",
      security: [],
      responses: { 303: { description: "signed out; redirect to /dashboard" } },
    },
    (c) =>
      new Response(null, { status: 303, headers: { location: "/dashboard", "set-cookie": clearedSessionCookie(isHttps(c)), "cache-control": "no-store" } }),
  );
}

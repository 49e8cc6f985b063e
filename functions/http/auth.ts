/**
 * Authentication middleware: `Authorization: Bearer <key>` → principal, or 401. Public routes
 * (health, A2A agent cards) pass without a key. Signed routes (`POST /webhooks/:agent`) pass
 * without a key too: their signature is the authentication, checked by the route against the
 * agent's secret, and a Bearer key there grants nothing. Authorisation (403) is decided per route
 * or per agent ACL, after authentication.
 */
import type { MiddlewareHandler } from "hono";
import { SwitchboardError } from "../../lib/message/errors";
import { authenticate, bearerKey, type Principal } from "../../lib/security/keys";
import type { AppEnv } from "./app-env";
import { sessionPrincipal, unauthenticatedResponse } from "./session";

const PUBLIC = [/^\/health$/, /^\/dashboard\/log(?:in|out)$/, /^\/a2a\/[^/]+\/\.well-known\/agent(?:-card)?\.json$/];

/** Authenticated by a signature over the body instead of a key (functions/routes/webhooks.ts). */
const SIGNED = [/^\/webhooks\/[^/]+$/];

export function isPublicPath(path: string): boolean {
  return PUBLIC.some((re) => re.test(path));
}

export function isSignedPath(path: string): boolean {
  return SIGNED.some((re) => re.test(path));
}

export const authMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isPublicPath(c.req.path) || isSignedPath(c.req.path)) return next();
  const header = c.req.header("authorization");
  const key = bearerKey(header);
  if (!key) {
    // Browsers (dashboard, docs) authenticate with the session cookie instead; see ./session.ts.
    const session = header ? null : await sessionPrincipal(c);
    if (!session) return unauthenticatedResponse(c, "missing Authorization: Bearer <key>");
    c.set("principal", session);
    return next();
  }
  const principal = await authenticate(c.env.SWITCHBOARD_API_KEYS, key);
  if (!principal) throw new SwitchboardError("unauthorized", "unknown API key");
  c.set("principal", principal);
  return next();
};

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new SwitchboardError("forbidden", "this route is for admin keys only");
}

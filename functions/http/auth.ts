/**
 * Authentication middleware: `Authorization: Bearer <key>` → principal, or 401. Public routes
 * (health, A2A agent cards) pass without a key. Signed routes (`POST /webhooks/:agent`) pass
 * without a key too: their signature is the authentication, checked by the route against the
 * agent's secret, and a Bearer key there grants nothing. A key limited to browser origins is 403
 * from any other origin (lib/security/keys.ts). Authorisation (403) is otherwise decided per route
 * or per agent ACL, after authentication. Failed keys are throttled per client address
 * (./auth-throttle.ts).
 */
import type { MiddlewareHandler } from "hono";
import { SwitchboardError } from "../../lib/message/errors";
import { bearerKey, identify, type Principal } from "../../lib/security/keys";
import { originAllowed } from "../../lib/security/origins";
import type { AppEnv } from "./app-env";
import { failedAuthentication, throttled } from "./auth-throttle";
import { foreignOrigin } from "./request-origin";
import { sessionPrincipal, unauthenticatedResponse } from "./session";

const PUBLIC = [/^\/health$/, /^\/dashboard\/log(?:in|out)$/, /^\/a2a\/[^/]+\/\.well-known\/agent(?:-card)?\.json$/, /^\/\.well-known\/agent-card\.json$/];

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
  const blocked = throttled(c);
  if (blocked) throw blocked;
  const identity = await identify(c.env.SWITCHBOARD_API_KEYS, key);
  if (!identity) throw await failedAuthentication(c, "unknown API key");
  const origin = foreignOrigin(c);
  if (origin !== null && identity.origins && !originAllowed(identity.origins, origin)) {
    throw new SwitchboardError("forbidden", `this API key may not be used from the origin ${JSON.stringify(origin.slice(0, 200))}`);
  }
  c.set("principal", identity.principal);
  return next();
};

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new SwitchboardError("forbidden", "this route is for admin keys only");
}

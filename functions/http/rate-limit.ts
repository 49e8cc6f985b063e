/**
 * Rate limiting with the Workers rate limiting bindings (wrangler.toml): every authenticated
 * request counts against its principal (`admin`, `agent:<name>`) and every inbound webhook against
 * `webhook:<agent>` (before its signature is checked, so a flood of forged webhooks is throttled
 * too), on `RATE_LIMITER`; every unauthenticated request that reaches an object or checks a key
 * (A2A cards, webhooks, the dashboard login) also counts against its client IP
 * (`ip:<CF-Connecting-IP>`) on `PUBLIC_RATE_LIMITER`. Over a limit: 429 `rate_limited` with `Retry-After`. The bindings are
 * local to each Cloudflare location and eventually consistent: a guard against abuse, not an exact
 * quota. Requests are counted in batches per isolate (lib/security/rate-ledger.ts,
 * `SWITCHBOARD_RATE_LIMIT_BATCH`), so a binding is not a call on every request. Failed
 * authentications are throttled apart, exactly (./auth-throttle.ts).
 */
import type { MiddlewareHandler } from "hono";
import { SwitchboardError } from "../../lib/message/errors";
import { principalLabel } from "../../lib/security/keys";
import { ledgerBatch, RateLedger } from "../../lib/security/rate-ledger";
import type { AppEnv } from "./app-env";
import { isPublicPath, isSignedPath } from "./auth";
import { clientIp } from "./client-ip";

/** The binding's `period` in wrangler.toml, used as Retry-After. @default 60 */
export const RATE_LIMIT_PERIOD_S = 60;

/** The key a request is counted under on `RATE_LIMITER`, or null when it is not counted there. */
export function rateLimitKey(path: string, principal: AppEnv["Variables"]["principal"] | undefined): string | null {
  if (isPublicPath(path)) return null;
  if (isSignedPath(path)) return `webhook:${path.split("/")[2]?.slice(0, 80) ?? ""}`;
  return principal ? principalLabel(principal) : null;
}

/**
 * The key an unauthenticated request is counted under on `PUBLIC_RATE_LIMITER`, or null. `/health`
 * is not counted: it touches no object and checks no key, and it is what load balancers poll.
 */
export function publicRateLimitKey(path: string, ip: string | null): string | null {
  if (ip === null || path === "/health") return null;
  return isPublicPath(path) || isSignedPath(path) ? `ip:${ip}` : null;
}

/** One ledger per binding and batch size, per isolate: the counts must outlive the request. */
const ledgers = new WeakMap<RateLimit, Map<number, RateLedger>>();

function ledgerFor(limiter: RateLimit, batch: number): RateLedger {
  let bySize = ledgers.get(limiter);
  if (!bySize) {
    bySize = new Map();
    ledgers.set(limiter, bySize);
  }
  let ledger = bySize.get(batch);
  if (!ledger) {
    ledger = new RateLedger(limiter, { batch });
    bySize.set(batch, ledger);
  }
  return ledger;
}

/** Counts one request of `key`; throws 429 when the binding says it is over its limit. */
async function admit(limiter: RateLimit | undefined, batch: number, key: string | null): Promise<void> {
  if (!limiter || key === null) return;
  let allowed = true;
  try {
    // Decided locally most of the time: only a check with the binding is awaited.
    const verdict = ledgerFor(limiter, batch).admit(key);
    allowed = typeof verdict === "boolean" ? verdict : await verdict;
  } catch (error) {
    // The limiter protects the service; its own failure must not take the service down.
    console.warn(JSON.stringify({ level: "warn", msg: "rate limiter unavailable", error: String(error) }));
  }
  if (!allowed) {
    throw new SwitchboardError("rate_limited", `too many requests for ${key}; retry after ${RATE_LIMIT_PERIOD_S} s`, { retryAfter: RATE_LIMIT_PERIOD_S });
  }
}

export const rateLimitMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.env.SWITCHBOARD_RATE_LIMIT === "off") return next();
  const batch = ledgerBatch(c.env.SWITCHBOARD_RATE_LIMIT_BATCH);
  await admit(c.env.PUBLIC_RATE_LIMITER as RateLimit | undefined, batch, publicRateLimitKey(c.req.path, clientIp(c)));
  await admit(c.env.RATE_LIMITER as RateLimit | undefined, batch, rateLimitKey(c.req.path, c.get("principal")));
  return next();
};

/**
 * Rate limiting per principal with the Workers rate limiting binding (`RATE_LIMITER` in
 * wrangler.toml): every authenticated request counts against its principal (`admin`,
 * `agent:<name>`), every inbound webhook against `webhook:<agent>` (before its signature is
 * checked, so a flood of forged webhooks is throttled too). Over the limit: 429 `rate_limited`
 * with `Retry-After`. Public routes are not counted. The binding is local to each Cloudflare
 * location and eventually consistent: a guard against abuse, not an exact quota. Requests are
 * counted in batches per isolate (lib/security/rate-ledger.ts, `SWITCHBOARD_RATE_LIMIT_BATCH`),
 * so the binding is not a call on every request.
 */
import type { MiddlewareHandler } from "hono";
import { SwitchboardError } from "../../lib/message/errors";
import { principalLabel } from "../../lib/security/keys";
import { ledgerBatch, RateLedger } from "../../lib/security/rate-ledger";
import type { AppEnv } from "./app-env";
import { isPublicPath, isSignedPath } from "./auth";

/** The binding's `period` in wrangler.toml, used as Retry-After. @default 60 */
export const RATE_LIMIT_PERIOD_S = 60;

/** The key a request is counted under, or null when it is not counted. */
export function rateLimitKey(path: string, principal: AppEnv["Variables"]["principal"] | undefined): string | null {
  if (isPublicPath(path)) return null;
  if (isSignedPath(path)) return `webhook:${path.split("/")[2]?.slice(0, 80) ?? ""}`;
  return principal ? principalLabel(principal) : null;
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

export const rateLimitMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  const limiter = c.env.RATE_LIMITER as RateLimit | undefined;
  if (!limiter || c.env.SWITCHBOARD_RATE_LIMIT === "off") return next();
  const key = rateLimitKey(c.req.path, c.get("principal"));
  if (key === null) return next();
  let allowed = true;
  try {
    // Decided locally most of the time: only a check with the binding is awaited.
    const verdict = ledgerFor(limiter, ledgerBatch(c.env.SWITCHBOARD_RATE_LIMIT_BATCH)).admit(key);
    allowed = typeof verdict === "boolean" ? verdict : await verdict;
  } catch (error) {
    // The limiter protects the service; its own failure must not take the service down.
    console.warn(JSON.stringify({ level: "warn", msg: "rate limiter unavailable", error: String(error) }));
  }
  if (!allowed) {
    throw new SwitchboardError("rate_limited", `too many requests for ${key}; retry after ${RATE_LIMIT_PERIOD_S} s`, { retryAfter: RATE_LIMIT_PERIOD_S });
  }
  return next();
};

/**
 * The edge's use of lib/security/auth-throttle.ts: one throttle per binding per isolate (its
 * blocks must outlive the request), consulted before a key or a login is checked and told of every
 * one that fails.
 */
import type { Context } from "hono";
import { SwitchboardError } from "../../lib/message/errors";
import { AuthThrottle } from "../../lib/security/auth-throttle";
import type { AppEnv } from "./app-env";
import { clientIp } from "./client-ip";

const throttles = new WeakMap<RateLimit, AuthThrottle>();

function throttleOf(env: Env): AuthThrottle | null {
  const limiter = env.AUTH_FAILURE_LIMITER as RateLimit | undefined;
  if (!limiter) return null;
  let throttle = throttles.get(limiter);
  if (!throttle) {
    throttle = new AuthThrottle(limiter);
    throttles.set(limiter, throttle);
  }
  return throttle;
}

function tooMany(retryAfter: number): SwitchboardError {
  return new SwitchboardError("rate_limited", `too many failed authentications from this address; retry after ${retryAfter} s`, { retryAfter });
}

/** The 429 to answer while the client's address is blocked, before its key is even looked at; null when it is not. */
export function throttled(c: Context<AppEnv>): SwitchboardError | null {
  const ip = clientIp(c);
  const wait = ip ? (throttleOf(c.env)?.retryAfter(ip) ?? 0) : 0;
  return wait > 0 ? tooMany(wait) : null;
}

/** Counts a failed key or login; the error to answer with: 401, or 429 once the address is over its limit. */
export async function failedAuthentication(c: Context<AppEnv>, detail: string): Promise<SwitchboardError> {
  const ip = clientIp(c);
  const throttle = throttleOf(c.env);
  if (ip && throttle) {
    try {
      const wait = await throttle.failed(ip);
      if (wait > 0) return tooMany(wait);
    } catch (error) {
      // The throttle protects the keys; its own failure must not lock everyone out.
      console.warn(JSON.stringify({ level: "warn", msg: "auth failure limiter unavailable", error: String(error) }));
    }
  }
  return new SwitchboardError("unauthorized", detail);
}

import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app";
import { publicRateLimitKey, rateLimitKey } from "../../functions/http/rate-limit";
import { ledgerBatch, RateLedger } from "../../lib/security/rate-ledger";
import { uniqueName } from "../support/api";
import { recordingLimiter } from "../support/recording-limiter";
import { auth, KEYS } from "../support/keys";

/** The strict limiter binding: 3 per 60 s (vitest.config.ts). */
const strict: RateLimit = env.RATE_LIMITER_STRICT ?? unbound("RATE_LIMITER_STRICT");

function unbound(name: string): never {
  throw new Error(`${name} is bound in vitest.config.ts`);
}

/**
 * The real app with the strict limiter in place of the generous one, checking every request
 * (batch 1) unless `extra` says otherwise, so each answer shows the binding's own decision.
 */
function strictApp(extra: Partial<Env> = {}) {
  const app = createApp();
  const strictEnv = { ...env, RATE_LIMITER: strict, SWITCHBOARD_RATE_LIMIT_BATCH: "1", ...extra };
  return (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
    app.fetch(new Request(`http://switchboard.test${path}`, { headers, ...init }), strictEnv, createExecutionContext());
}

describe("rate limiting per principal", () => {
  it("answers 429 rate_limited with Retry-After once a principal passes its limit, and counts principals apart", async () => {
    const call = strictApp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call("/agents", auth("summarizer"))).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await call("/agents", auth("summarizer"));
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(((await limited.json()) as { code: string }).code).toBe("rate_limited");
    // Another principal has its own budget; public routes are never counted.
    expect((await call("/agents", auth("outsider"))).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call("/health", {})).status).toBe(200);
  });

  it("can be switched off", async () => {
    const call = strictApp({ SWITCHBOARD_RATE_LIMIT: "off" });
    for (let i = 0; i < 6; i++) expect((await call("/agents", auth("planner"))).status).toBe(200);
  });

  it("counts webhooks per target agent, before the signature is checked", async () => {
    const call = strictApp();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call("/webhooks/echo", {}, { method: "POST", body: "{}" })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it("by default counts in batches: a strict limit still refuses, after fewer than two batches", async () => {
    const call = strictApp({ SWITCHBOARD_RATE_LIMIT_BATCH: undefined });
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await call("/agents", auth("planner"))).status);
    const firstRefused = statuses.indexOf(429);
    // Limit 3, batch 32: the binding is told of the first request, then of each 32 more; it admits
    // a count while below the limit, so the refusal comes with the third check at the latest.
    expect(firstRefused).toBeGreaterThan(2);
    expect(firstRefused).toBeLessThanOrEqual(1 + 2 * 32);
    expect(statuses.slice(firstRefused).every((s) => s === 429)).toBe(true);
  });

  it("keys requests by principal, webhook target or nothing", () => {
    expect(rateLimitKey("/agents", { kind: "admin" })).toBe("admin");
    expect(rateLimitKey("/agents/x/invoke", { kind: "agent", agent: "planner" })).toBe("agent:planner");
    expect(rateLimitKey("/webhooks/billing", undefined)).toBe("webhook:billing");
    expect(rateLimitKey("/health", undefined)).toBeNull();
  });
});

/** A clock the test moves. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Whether this runtime's binding takes `delta` (wrangler dev's does; today's vitest pool's does not). */
async function takesDelta(): Promise<boolean> {
  return strict.limit({ key: uniqueName("probe"), delta: 2 }).then(
    () => true,
    () => false,
  );
}

describe("rate ledger (batched counting against the real binding)", () => {
  it("checks the first request, counts the next ones locally and settles them as one delta", async () => {
    const { limiter, calls } = recordingLimiter(strict);
    const clock = manualClock();
    const ledger = new RateLedger(limiter, { batch: 4, maxDelayMs: 60_000, now: clock.now });
    const key = uniqueName("ledger");
    const admitted: boolean[] = [];
    for (let i = 0; i < 12; i++) admitted.push(await ledger.admit(key));
    if (await takesDelta()) {
      // 1: checked (count 1). 2–4: local. 5: settles 4 (count 1 < 3: admitted, count 5).
      // 6–8: local. 9: settles 4 (count 5 ≥ 3: refused). 10–12: refused without a call.
      expect(admitted).toEqual([true, true, true, true, true, true, true, true, false, false, false, false]);
      expect(calls).toEqual([
        { key, delta: 1 },
        { key, delta: 4 },
        { key, delta: 4 },
      ]);
    } else {
      // The binding refuses the delta of the first check: from then on every request is checked
      // on its own, so the strict limit refuses the 4th request, and then no call is made.
      expect(admitted).toEqual([true, true, true, false, false, false, false, false, false, false, false, false]);
      expect(calls).toEqual([{ key, delta: 1 }, { key }, { key }, { key }, { key }]);
    }
  });

  it("re-checks a refused key only after blockMs, and refuses again while the window lasts", async () => {
    const { limiter, calls } = recordingLimiter(strict);
    const clock = manualClock();
    const ledger = new RateLedger(limiter, { batch: 1, blockMs: 1000, now: clock.now });
    const key = uniqueName("blocked");
    for (let i = 0; i < 3; i++) expect(await ledger.admit(key)).toBe(true);
    expect(await ledger.admit(key)).toBe(false);
    const checks = calls.length;
    for (let i = 0; i < 50; i++) expect(await ledger.admit(key)).toBe(false);
    clock.advance(999);
    expect(await ledger.admit(key)).toBe(false);
    expect(calls).toHaveLength(checks);
    clock.advance(1);
    expect(await ledger.admit(key)).toBe(false);
    expect(calls).toHaveLength(checks + 1);
  });

  it("never lets a count wait past maxDelayMs: the next request after it is checked", async () => {
    const { limiter, calls } = recordingLimiter(strict);
    const clock = manualClock();
    const ledger = new RateLedger(limiter, { batch: 32, maxDelayMs: 100, now: clock.now });
    const key = uniqueName("delay");
    const supported = await takesDelta();
    await ledger.admit(key);
    clock.advance(60);
    await ledger.admit(key);
    expect(calls).toHaveLength(supported ? 1 : 3);
    clock.advance(40);
    await ledger.admit(key);
    expect(calls).toEqual(
      supported
        ? [
            { key, delta: 1 },
            { key, delta: 2 },
          ]
        : [{ key, delta: 1 }, { key }, { key }, { key }],
    );
  });

  it("keeps keys apart", async () => {
    const { limiter } = recordingLimiter(strict);
    const ledger = new RateLedger(limiter, { batch: 1 });
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    for (let i = 0; i < 3; i++) await ledger.admit(a);
    expect(await ledger.admit(a)).toBe(false);
    expect(await ledger.admit(b)).toBe(true);
  });

  it("reads SWITCHBOARD_RATE_LIMIT_BATCH: a positive integer, else the default", () => {
    expect(ledgerBatch("1")).toBe(1);
    expect(ledgerBatch("64")).toBe(64);
    for (const bad of [undefined, "", "0", "-3", "2.5", "many"]) expect(ledgerBatch(bad)).toBe(32);
  });
});

/** A client address no other test uses. */
function someIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `198.${18 + (b[0]! % 2)}.${b[1]}.${b[2]}`;
}

describe("unauthenticated paths, per client IP", () => {
  it("count every card, webhook and login request against its CF-Connecting-IP, one budget per address", async () => {
    const call = strictApp({ PUBLIC_RATE_LIMITER: strict });
    const ip = someIp();
    const statuses: number[] = [];
    const card = "/a2a/echo/.well-known/agent-card.json";
    for (let i = 0; i < 4; i++) statuses.push((await call(card, { "cf-connecting-ip": ip })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await call("/webhooks/echo", { "cf-connecting-ip": ip }, { method: "POST", body: "{}" })).status).toBe(429);
    expect((await call(card, { "cf-connecting-ip": someIp() })).status).toBe(200);
    // Health touches nothing and is what load balancers poll: never counted.
    for (let i = 0; i < 5; i++) expect((await call("/health", { "cf-connecting-ip": ip })).status).toBe(200);
  });

  it("key the count by address only where there is one", () => {
    expect(publicRateLimitKey("/a2a/echo/.well-known/agent-card.json", "203.0.113.9")).toBe("ip:203.0.113.9");
    expect(publicRateLimitKey("/dashboard/login", "203.0.113.9")).toBe("ip:203.0.113.9");
    expect(publicRateLimitKey("/health", "203.0.113.9")).toBeNull();
    expect(publicRateLimitKey("/webhooks/echo", "203.0.113.9")).toBe("ip:203.0.113.9");
    expect(publicRateLimitKey("/agents", "203.0.113.9")).toBeNull();
    expect(publicRateLimitKey("/health", null)).toBeNull();
  });
});

describe("failed authentication, per client IP", () => {
  const wrong = { authorization: "Bearer sk_a_wrong_guess_of_a_key", "content-type": "application/json" };

  it("answers 429 with Retry-After after 20 failures a minute, even for a right key, and leaves other clients alone (audit: never throttled)", async () => {
    const call = strictApp();
    const ip = someIp();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await call("/agents", { ...wrong, "cf-connecting-ip": ip })).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const blocked = await call("/agents", { ...auth("admin"), "cf-connecting-ip": ip });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await blocked.json()) as { code: string }).code).toBe("rate_limited");
    // Another address, with a valid key or a wrong one, is unaffected.
    const other = someIp();
    expect((await call("/agents", { ...auth("admin"), "cf-connecting-ip": other })).status).toBe(200);
    expect((await call("/agents", { ...wrong, "cf-connecting-ip": other })).status).toBe(401);
  });

  it("counts failed dashboard logins with them", async () => {
    const call = strictApp();
    const ip = someIp();
    const login = (key: string, from: string) =>
      call(
        "/dashboard/login",
        { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": from },
        { method: "POST", body: `key=${key}`, redirect: "manual" },
      );
    for (let i = 0; i < 20; i++) expect((await login("not-the-key", ip)).status).toBe(401);
    const refused = await login("not-the-key", ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await login(KEYS.admin, ip)).status).toBe(429);
    expect((await call("/agents", { ...auth("admin"), "cf-connecting-ip": ip })).status).toBe(429);
    expect((await login(KEYS.admin, someIp())).status).toBe(303);
  });
});

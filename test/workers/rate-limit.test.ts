import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app";
import { rateLimitKey } from "../../functions/http/rate-limit";
import { auth } from "../support/keys";

/** The real app with the strict limiter (3 per 60 s, vitest.config.ts) in place of the generous one. */
function strictApp(extra: Partial<Env> = {}) {
  const app = createApp();
  const strictEnv = { ...env, RATE_LIMITER: (env as unknown as { RATE_LIMITER_STRICT: RateLimit }).RATE_LIMITER_STRICT, ...extra };
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

  it("keys requests by principal, webhook target or nothing", () => {
    expect(rateLimitKey("/agents", { kind: "admin" })).toBe("admin");
    expect(rateLimitKey("/agents/x/invoke", { kind: "agent", agent: "planner" })).toBe("agent:planner");
    expect(rateLimitKey("/webhooks/billing", undefined)).toBe("webhook:billing");
    expect(rateLimitKey("/health", undefined)).toBeNull();
  });
});

/**
 * Batched rate-limit counting against a binding that takes `delta`, as `wrangler dev` (and
 * production) provide: the vitest pool's runtime does not, so test/workers/rate-limit.test.ts
 * covers only the fallback there. The fixture worker runs lib/security/rate-ledger.ts over a real
 * limiter of 3 per 60 s.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startWrangler } from "../support/wrangler-dev";

let dev: DevServer;

beforeAll(async () => {
  dev = await startWrangler({ label: "rate-ledger", config: "test/e2e/fixtures/rate-ledger/wrangler.toml" });
});
afterAll(async () => {
  await dev?.stop();
});

async function admit(key: string, batch: number): Promise<{ admitted: boolean; calls: unknown[] }> {
  const res = await fetch(`${dev.url}/admit?key=${key}&batch=${batch}`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as { admitted: boolean; calls: unknown[] };
}

describe("rate ledger under wrangler dev", () => {
  it("settles a batch as one delta, refuses once the binding does, and then makes no calls", async () => {
    const key = `k-${randomUUID()}`;
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await admit(key, 4));
    // 1: checked (count 1). 2–4: local. 5: settles 4 (count 1 < 3: admitted, count 5).
    // 6–8: local. 9: settles 4 (count 5 ≥ 3: refused). 10–12: refused without a call.
    expect(answers.map((a) => a.admitted)).toEqual([true, true, true, true, true, true, true, true, false, false, false, false]);
    expect(answers.at(-1)?.calls).toEqual([
      { key, delta: 1 },
      { key, delta: 4 },
      { key, delta: 4 },
    ]);
  });

  it("checks every request with batch 1, exactly as calling the binding would", async () => {
    const key = `k-${randomUUID()}`;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await admit(key, 1));
    expect(answers.map((a) => a.admitted)).toEqual([true, true, true, false, false]);
    expect(answers.at(-1)?.calls).toHaveLength(4);
  });
});

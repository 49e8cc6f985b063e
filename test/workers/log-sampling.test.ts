/**
 * `log: { sample }` for hot agents: the message log keeps every failure and a sample of the
 * successes, while metrics (and so the dashboard's counts and GET /metrics) count every message.
 */
import { describe, expect, it } from "vitest";
import { api, eventually, testServer, uniqueName } from "../support/api";

async function invokeMany(name: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => api("POST", `/agents/${name}/invoke`, { body: { content: i + j } })));
    statuses.push(...batch.map((r) => r.status));
  }
  return statuses;
}

const inbound = (report: { messages: Array<{ direction: string; outcome: string; count: number }> }, outcome: string) =>
  report.messages.filter((m) => m.direction === "in" && m.outcome === outcome).reduce((n, m) => n + m.count, 0);

describe("log sampling", () => {
  it("keeps every failure and a sample of successes, and counts every message", { timeout: 90_000 }, async () => {
    const name = uniqueName("hot-log");
    const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, log: { sample: 0.1 } } });
    expect(put.body.log).toEqual({ sample: 0.1 });
    expect((await invokeMany(name, 150)).every((s) => s === 200)).toBe(true);
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/status/400/${name}`, log: { sample: 0.1 } } });
    expect((await invokeMany(name, 10)).every((s) => s === 502)).toBe(true);

    const log = (await api("GET", `/agents/${name}/log?limit=1000`)).body.entries as Array<{ outcome: string }>;
    const loggedOk = log.filter((r) => r.outcome === "ok").length;
    expect(log.filter((r) => r.outcome === "agent_error")).toHaveLength(10);
    // Each trace is kept with probability 0.1: 150 calls keep about 15 (far from 0 and from 150).
    expect(loggedOk).toBeGreaterThan(1);
    expect(loggedOk).toBeLessThan(50);

    const report = (await api("GET", `/agents/${name}/metrics`)).body;
    expect(inbound(report, "ok")).toBe(150);
    expect(inbound(report, "agent_error")).toBe(10);
    // Latency comes from the histogram of every message, not from the sampled log.
    expect(report.latency_ms).toMatchObject({ samples: 160, p50: expect.any(Number), p95: expect.any(Number) });
    await eventually(async () => {
      const text = (await api("GET", "/metrics")).body as string;
      return text.includes(`switchboard_messages_total{agent="${name}",outcome="ok"} 150`) ? true : undefined;
    });
  });

  it("refuses a sample outside (0, 1], naming the field", async () => {
    const name = uniqueName("bad-sample");
    for (const sample of [0, 1.5, -1, "all"]) {
      const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, log: { sample } } });
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain("log.sample");
    }
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
  });
});

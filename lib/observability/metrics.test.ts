import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AgentMetrics } from "./metrics";

describe("AgentMetrics", () => {
  it("adds message counts up in memory and writes one row per series when flushed or read", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(`metrics-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      const metrics = new AgentMetrics(state.storage.sql);
      for (let i = 0; i < 5; i++) metrics.message("in", "ok", 20);
      metrics.message("in", "timeout", 2000);
      const rows = () => Number(state.storage.sql.exec("SELECT COALESCE(SUM(count), 0) AS n FROM metrics_messages").one().n);
      expect(rows()).toBe(0); // nothing written on the hot path yet
      const snapshot = metrics.snapshot(); // reading flushes
      expect(rows()).toBe(6);
      const ok = snapshot.messages.find((m) => m.direction === "in" && m.outcome === "ok");
      expect(ok).toMatchObject({ count: 5 });
      expect(ok?.sum_seconds).toBeCloseTo(0.1);
      metrics.message("in", "ok", 20);
      metrics.flush();
      expect(metrics.snapshot().messages.find((m) => m.outcome === "ok")?.count).toBe(6);
    });
  });
});

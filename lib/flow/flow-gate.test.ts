/**
 * The per-key gate with an injected clock, over a Durable Object's real SQLite storage: a key's
 * concurrency and rate, its backlog order, independence of keys, and pause.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlowConfig } from "./flow-config";
import { flowKeyOf } from "./flow-config";
import { FlowGate } from "./flow-gate";
import { HeldStore } from "./held-store";
import { RateLog } from "./rate";

function withGate(test: (gate: FlowGate, held: HeldStore) => void): Promise<void> {
  const stub = env.AGENT.get(env.AGENT.idFromName(`flow-gate-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => {
    const held = new HeldStore(state.storage.sql);
    test(new FlowGate(held, new RateLog(state.storage.sql)), held);
  });
}

describe("FlowGate", () => {
  it("holds a key at its concurrency and releases its backlog oldest first as slots free, other keys unaffected", () =>
    withGate((gate, held) => {
      const flow: FlowConfig = { key: "metadata.tenant", concurrency: 2 };
      const t = 1_000_000;
      const offered = ["a1", "a2", "a3", "a4"].map((id) => gate.offer(flow, false, id, "a", t).ok);
      expect(offered).toEqual([true, true, false, false]);
      expect(gate.offer(flow, false, "b1", "b", t).ok).toBe(true);
      // a1 and a2 arrive with their reserved slots; a retry of another a request finds no room.
      expect(gate.admit(flow, false, "a1", "a", t).ok).toBe(true);
      expect(gate.admit(flow, false, "a2", "a", t).ok).toBe(true);
      expect(gate.admit(flow, false, "a9", "a", t).ok).toBe(false);
      gate.done(flow, "a");
      expect(gate.pump(flow, false, "a", t, 10).ids).toEqual(["a3"]);
      gate.done(flow, "a");
      expect(gate.pump(flow, false, "a", t, 10).ids).toEqual(["a4"]);
      expect(held.first("a", 10).map((r) => r.request_id)).toEqual(["a9"]);
    }));

  it("starts at most limit per window, and counts a backlogged start when its slot freed", () =>
    withGate((gate) => {
      const flow: FlowConfig = { rate: { limit: 2, period_ms: 1000 } };
      const t = 5_000_000;
      expect(gate.offer(flow, false, "r1", "", t).ok).toBe(true);
      expect(gate.offer(flow, false, "r2", "", t + 100).ok).toBe(true);
      expect(gate.offer(flow, false, "r3", "", t + 200)).toEqual({ ok: false, retry_at: t + 1000 });
      expect(gate.offer(flow, false, "r4", "", t + 300)).toEqual({ ok: false });
      // The alarm runs 400 ms late: r3 goes, counted at t + 1000, so r4's slot is due at t + 1100, not t + 1500.
      expect(gate.pump(flow, false, "", t + 1400, 10)).toEqual({ ids: ["r3", "r4"] });
      expect(gate.offer(flow, false, "r5", "", t + 1500)).toEqual({ ok: false, retry_at: t + 2000 });
      expect(gate.pump(flow, false, "", t + 1999, 10)).toEqual({ ids: [], retry_at: t + 2000 });
    }));

  it("holds everything while paused and releases nothing until resumed", () =>
    withGate((gate, held) => {
      expect(gate.offer(undefined, true, "p1", "", 0).ok).toBe(false);
      expect(gate.admit(undefined, true, "p2", "", 0).ok).toBe(false);
      expect(gate.pump(undefined, true, "", 0, 10).ids).toEqual([]);
      expect(gate.offer(undefined, false, "p3", "", 1).ok).toBe(false);
      expect(gate.pump(undefined, false, "", 1, 10).ids).toEqual(["p1", "p2", "p3"]);
      expect(held.count()).toBe(0);
    }));
});

describe("flowKeyOf", () => {
  const message = { from: "planner", content: { customer: { id: 7 }, tags: ["x"] }, metadata: { tenant: "acme", deep: { __proto__: "p" } } };
  it("reads a string path from the message, own properties only", () => {
    expect(flowKeyOf(message, "metadata.tenant")).toBe("acme");
    expect(flowKeyOf(message, "content.customer.id")).toBe("7");
    expect(flowKeyOf(message, "from")).toBe("planner");
    expect(flowKeyOf(message, "content.customer")).toBe("");
    expect(flowKeyOf(message, "metadata.missing")).toBe("");
    expect(flowKeyOf(message, "content.tags.0")).toBe("");
    expect(flowKeyOf(message, "metadata.deep.toString")).toBe("");
    expect(flowKeyOf(message, undefined)).toBe("");
  });
});

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeEnvelope } from "../message/call";
import { IDEMPOTENCY_TTL_MS, REQUEST_RETENTION_MS, RequestStore } from "./request-store";

const message = makeEnvelope({ from: null, to: "echo", role: "agent_call", content: 1 });
const storeIn = (name: string) => env.AGENT.get(env.AGENT.idFromName(`${name}-${crypto.randomUUID()}`));

describe("RequestStore retention", () => {
  it("forgets finished requests after the retention period, never live ones nor one whose letter must leave, and expires idempotency keys", async () => {
    await runInDurableObject(storeIn("retention"), (_instance, state) => {
      const store = new RequestStore(state.storage.sql);
      const long = Date.now() - REQUEST_RETENTION_MS - 1000;
      store.create({ request_id: "old-done", message, reply_to: null, timeout_ms: null, idempotency_key: "k-old", now: long, lease_until: long });
      store.update("old-done", { status: "replied" }, long);
      store.create({ request_id: "old-pending", message, reply_to: null, timeout_ms: null, now: long, lease_until: long });
      store.create({ request_id: "old-letter", message, reply_to: null, timeout_ms: null, now: long, lease_until: long });
      store.update("old-letter", { status: "failed", letter_pending: true }, long);
      store.create({ request_id: "old-but-touched", message, reply_to: null, timeout_ms: null, now: long, lease_until: long });
      store.update("old-but-touched", { status: "replied" }, Date.now());
      store.create({ request_id: "new", message, reply_to: null, timeout_ms: null, idempotency_key: "k-new", now: Date.now(), lease_until: Date.now() });
      expect(store.sweep(Date.now(), 100)).toBe(false);
      expect(store.get("old-done")).toBeNull();
      expect(store.get("old-pending")?.status).toBe("pending");
      expect(store.get("old-letter")?.letter_pending).toBe(true);
      expect(store.get("old-but-touched")).not.toBeNull();
      expect(store.get("new")).not.toBeNull();
      expect(store.byIdempotencyKey("k-new", Date.now())).toBe("new");
      expect(state.storage.sql.exec("SELECT key FROM idempotency").toArray()).toEqual([{ key: "k-new" }]);
    });
  });

  it("sweeps in bounded steps from the oldest end, saying when more is due, and starts over once it reached younger rows", async () => {
    await runInDurableObject(storeIn("retention-steps"), (_instance, state) => {
      const store = new RequestStore(state.storage.sql);
      const long = Date.now() - REQUEST_RETENTION_MS - 1000;
      for (let i = 0; i < 5; i++) {
        store.create({ request_id: `old-${i}`, message, reply_to: null, timeout_ms: null, now: long + i, lease_until: null });
        store.update(`old-${i}`, { status: "replied" }, long + i);
      }
      store.create({ request_id: "new", message, reply_to: null, timeout_ms: null, now: Date.now(), lease_until: null });
      const left = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM requests").one().n;
      expect(store.sweep(Date.now(), 2)).toBe(true);
      expect(left()).toBe(4);
      expect(store.sweep(Date.now(), 2)).toBe(true);
      expect(left()).toBe(2);
      // The window reaches the young row: nothing more is due now.
      expect(store.sweep(Date.now(), 2)).toBe(false);
      expect(left()).toBe(1);
      expect(store.get("new")).not.toBeNull();
    });
  });

  it("expires idempotency keys a bounded batch at a time, saying when more is due", async () => {
    await runInDurableObject(storeIn("retention-keys"), (_instance, state) => {
      const store = new RequestStore(state.storage.sql);
      const dayAgo = Date.now() - IDEMPOTENCY_TTL_MS - 1000;
      for (let i = 0; i < 3; i++) {
        store.create({ request_id: `r-${i}`, message, reply_to: null, timeout_ms: null, idempotency_key: `k-${i}`, now: dayAgo, lease_until: null });
      }
      const keys = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM idempotency").one().n;
      expect(store.sweep(Date.now(), 2)).toBe(true);
      expect(keys()).toBe(1);
      expect(store.sweep(Date.now(), 2)).toBe(false);
      expect(keys()).toBe(0);
      // The requests themselves are a day old, well within their week.
      expect(store.get("r-0")).not.toBeNull();
    });
  });

  it("tells when its oldest row can first be due, or that it holds none", async () => {
    await runInDurableObject(storeIn("retention-due"), (_instance, state) => {
      const store = new RequestStore(state.storage.sql);
      expect(store.retentionDue()).toBeNull();
      const now = Date.now();
      store.create({ request_id: "r", message, reply_to: null, timeout_ms: null, idempotency_key: "k", now, lease_until: null });
      expect(store.retentionDue()).toBe(now + IDEMPOTENCY_TTL_MS);
    });
  });

  it("tells retention of every request it stores", async () => {
    await runInDurableObject(storeIn("retention-told"), (_instance, state) => {
      let told = 0;
      const store = new RequestStore(state.storage.sql, () => told++);
      store.create({ request_id: "r", message, reply_to: null, timeout_ms: null, now: Date.now(), lease_until: null });
      expect(told).toBe(1);
    });
  });

  it("finds expired idempotency keys through an index, not a scan of a day's keys", async () => {
    await runInDurableObject(storeIn("retention"), (_instance, state) => {
      new RequestStore(state.storage.sql);
      const plan = state.storage.sql.exec("EXPLAIN QUERY PLAN SELECT rowid FROM idempotency WHERE expires_at <= ? LIMIT ?", 0, 10).toArray();
      expect(plan.map((row) => String(row.detail)).join("; ")).toContain("idempotency_expires");
    });
  });
});

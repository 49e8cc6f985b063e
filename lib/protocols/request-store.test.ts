import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeEnvelope } from "../message/call";
import { REQUEST_RETENTION_MS, RequestStore } from "./request-store";

describe("RequestStore retention", () => {
  it("forgets finished requests after the retention period, never pending ones, and expires idempotency keys", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(`retention-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      const store = new RequestStore(state.storage.sql);
      const message = makeEnvelope({ from: null, to: "echo", role: "agent_call", content: 1 });
      const long = Date.now() - REQUEST_RETENTION_MS - 1000;
      store.create({ request_id: "old-done", message, reply_to: null, timeout_ms: null, idempotency_key: "k-old", now: long, lease_until: long });
      store.update("old-done", { status: "replied" }, long);
      store.create({ request_id: "old-pending", message, reply_to: null, timeout_ms: null, now: long, lease_until: long });
      store.create({ request_id: "new", message, reply_to: null, timeout_ms: null, now: Date.now(), lease_until: Date.now() });
      store.prune(Date.now() - REQUEST_RETENTION_MS);
      expect(store.get("old-done")).toBeNull();
      expect(store.get("old-pending")?.status).toBe("pending");
      expect(store.get("new")).not.toBeNull();
      expect(store.byIdempotencyKey("k-old", Date.now())).toBeNull();
    });
  });

  it("finds expired idempotency keys through an index, not a scan of a day's keys", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(`retention-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      new RequestStore(state.storage.sql);
      const plan = state.storage.sql.exec("EXPLAIN QUERY PLAN DELETE FROM idempotency WHERE expires_at <= ?", 0).toArray();
      expect(plan.map((row) => String(row.detail)).join("; ")).toContain("idempotency_expires");
    });
  });
});

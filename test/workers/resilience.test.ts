import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, eventually, received, settled, testServer, testServerStats, uniqueName } from "../support/api";
import { agentObjectStub } from "../support/agent-storage";

async function agent(path: string, config: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName("res");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/${path}/${name}`, ...config } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return name;
}

describe("circuit breaker", () => {
  it("opens after failure_threshold failures, shared by every caller, and fails fast without touching the agent", async () => {
    const name = await agent("status/503", { breaker: { failure_threshold: 3, recovery_timeout_ms: 60_000 } });
    for (const as of ["planner", "summarizer", "planner"] as const) {
      expect((await api("POST", `/agents/${name}/invoke`, { as, body: { content: 1 } })).status).toBe(502);
    }
    const open = await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: 1 } });
    expect(open.status).toBe(503);
    expect(open.body.code).toBe("circuit_open");
    expect(Number(open.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(await received(name)).toHaveLength(3);
    const state = await api("GET", `/agents/${name}/breaker`);
    expect(state.body).toMatchObject({ state: "open", failures: 3 });
    expect(Date.parse(state.body.next_probe_at) - Date.parse(state.body.opened_at)).toBe(60_000);
    expect((await api("GET", `/agents/${name}`)).body.status.breaker).toBe("open");
  });

  it("remembers an open breaker at the edge, so fast fails skip the agent's object, and sees a reset within a second", async () => {
    const name = await agent("status/503", { breaker: { failure_threshold: 1, recovery_timeout_ms: 60_000 } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: 1 } })).status).toBe(502);
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: 2 } })).status).toBe(503); // answered by the object
    const logged = (await api("GET", `/agents/${name}/log?limit=50`)).body.entries.length;
    for (let i = 0; i < 5; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: i } });
      expect(res.body.code).toBe("circuit_open");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(50);
    }
    expect((await api("GET", `/agents/${name}/log?limit=50`)).body.entries.length).toBe(logged);
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await api("POST", `/agents/${name}/breaker/reset`);
    const recovered = await eventually(async () => {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "again" } });
      return res.status === 200 ? res : undefined;
    }, 5000);
    expect(recovered.body.from).toBe(name);
  });

  it("does not count permanent 4xx answers", async () => {
    const name = await agent("status/404", { breaker: { failure_threshold: 2 } });
    for (let i = 0; i < 4; i++) expect((await api("POST", `/agents/${name}/invoke`, { body: { content: i } })).status).toBe(502);
    expect((await api("GET", `/agents/${name}/breaker`)).body).toMatchObject({ state: "closed", failures: 0 });
  });

  it("counts timeouts", async () => {
    const name = await agent("slow/2000", { breaker: { failure_threshold: 2 } });
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: i, timeout_ms: 100 } });
      expect(res.status).toBe(504);
      expect(res.body.code).toBe("timeout");
    }
    expect((await api("GET", `/agents/${name}/breaker`)).body.state).toBe("open");
  });

  it("admits a single probe when half-open, under concurrent calls, and closes on its success", async () => {
    const name = await agent("concurrent/300", { breaker: { failure_threshold: 1, recovery_timeout_ms: 60_000 } });
    const stub = agentObjectStub(name);
    await api("GET", `/agents/${name}`);
    // Put the breaker where recovery has elapsed: open since long ago.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("breaker", { state: "open", failures: 1, opened_at: Date.now() - 120_000, probe_started_at: null, samples: [] });
    });
    await evictDurableObject(stub);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => api("POST", `/agents/${name}/invoke`, { body: { content: i } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503, 503, 503, 503, 503]);
    expect(await received(name)).toHaveLength(1);
    expect((await api("GET", `/agents/${name}/breaker`)).body.state).toBe("closed");
  });

  it("resets on POST /breaker/reset (admin only)", async () => {
    const name = await agent("status/500", { breaker: { failure_threshold: 1 } });
    await api("POST", `/agents/${name}/invoke`, { body: { content: 1 } });
    expect((await api("GET", `/agents/${name}/breaker`)).body.state).toBe("open");
    expect((await api("POST", `/agents/${name}/breaker/reset`, { as: "planner" })).status).toBe(403);
    const reset = await api("POST", `/agents/${name}/breaker/reset`);
    expect(reset.body).toMatchObject({ state: "closed", failures: 0, opened_at: null, next_probe_at: null });
    // The timeline keeps what happened: opened by the failure, closed by the reset.
    expect(reset.body.transitions.map((t: { state: string }) => t.state)).toEqual(["open", "closed"]);
    expect(Date.parse(reset.body.transitions[1].at)).toBeGreaterThanOrEqual(Date.parse(reset.body.transitions[0].at));
  });

  it("applies to async delivery: an open breaker delays delivery instead of calling the agent", async () => {
    const name = await agent("ok", { breaker: { failure_threshold: 1, recovery_timeout_ms: 60_000 } });
    const stub = agentObjectStub(name);
    await api("GET", `/agents/${name}`);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("breaker", { state: "open", failures: 1, opened_at: Date.now(), probe_started_at: null, samples: [] });
    });
    await evictDurableObject(stub);
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "later" } });
    const state = await eventually(async () => {
      const r = await api("GET", `/requests/${sent.body.request_id}`);
      return r.body.attempts >= 1 ? r.body : undefined;
    });
    expect(state).toMatchObject({ status: "pending", error: { code: "circuit_open" } });
    expect(await received(name)).toHaveLength(0);
  });
});

describe("concurrency cap", () => {
  it("never has more than max_concurrency in flight under 3× as many callers, and releases every slot", async () => {
    const name = await agent("concurrent/150", { limits: { max_concurrency: 3 } });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => api("POST", `/agents/${name}/invoke`, { body: { content: i } })));
    expect(results.map((r) => r.status)).toEqual(Array(9).fill(200));
    expect((await testServerStats(name)).max_in_flight).toBe(3);
    expect((await api("GET", `/agents/${name}`)).body.status.in_flight).toBe(0);
  });

  it("answers 429 pool_saturated with Retry-After when no slot frees before the deadline", async () => {
    const name = await agent("concurrent/1500", { limits: { max_concurrency: 1 } });
    const first = api("POST", `/agents/${name}/invoke`, { body: { content: 1 } });
    await eventually(async () => ((await api("GET", `/agents/${name}`)).body.status.in_flight === 1 ? true : undefined));
    const second = await api("POST", `/agents/${name}/invoke`, { body: { content: 2, timeout_ms: 200 } });
    expect(second.status).toBe(429);
    expect(second.body.code).toBe("pool_saturated");
    expect(second.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(200);
    expect((await api("GET", `/agents/${name}`)).body.status.in_flight).toBe(0);
  });

  it("releases the slot when the call fails or times out", async () => {
    const name = await agent("slow/1000", { limits: { max_concurrency: 1 } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: 1, timeout_ms: 50 } })).status).toBe(504);
    expect((await api("GET", `/agents/${name}`)).body.status.in_flight).toBe(0);
  });
});

describe("dead-letter queue", () => {
  it("dead-letters after exhausted retries, replays successfully, and the entry disappears", async () => {
    const name = await agent("status/503", { limits: { max_retries: 2, retry_delay_ms: 0 }, breaker: { failure_threshold: 100 } });
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "precious" } });
    const state = await settled(sent.body.request_id);
    expect(state).toMatchObject({ status: "dead_lettered", attempts: 3, error: { code: "agent_error" } });
    const entry = await eventually(async () => (await api("GET", `/dlq?agent=${name}`)).body.entries[0]);
    expect(entry).toMatchObject({ agent: name, status: "dead", attempts: 3, queue: "deliveries", message: { content: "precious", to: name } });
    expect((await api("GET", `/dlq/${entry.id}`)).body.id).toBe(entry.id);

    // Eviction between failure and replay loses nothing.
    await evictDurableObject(agentObjectStub(name));
    await evictDurableObject(env.DEAD_LETTER_STORE.get(env.DEAD_LETTER_STORE.idFromName("dlq")));

    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, limits: { max_retries: 2, retry_delay_ms: 0 } } });
    const replay = await api("POST", `/dlq/${entry.id}/replay`);
    expect(replay.status).toBe(202);
    const after = await settled(sent.body.request_id, ["replied"]);
    expect(after.attempts).toBe(4);
    await eventually(async () => ((await api("GET", `/dlq/${entry.id}`)).status === 404 ? true : undefined));
  });

  it("brings a replay that fails again back into the store", async () => {
    const name = await agent("status/500", { limits: { max_retries: 1, retry_delay_ms: 0 }, breaker: { failure_threshold: 100 } });
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "again" } });
    await settled(sent.body.request_id);
    const entry = await eventually(async () => (await api("GET", `/dlq?agent=${name}`)).body.entries[0]);
    await api("POST", `/dlq/${entry.id}/replay`);
    const back = await eventually(async () => {
      const e = (await api("GET", `/dlq/${entry.id}`)).body;
      return e.status === "dead" && e.replays === 1 ? e : undefined;
    });
    expect(back.attempts).toBe(4);
    expect((await api("GET", `/dlq?agent=${name}`)).body.entries).toHaveLength(1);
    expect((await api("GET", `/requests/${sent.body.request_id}`)).body.status).toBe("dead_lettered");
  });

  it("deletes entries, paginates, and 404s unknown ids", async () => {
    const name = await agent("status/400", {});
    const ids = await Promise.all([1, 2, 3].map(async (i) => (await api("POST", `/agents/${name}/messages`, { body: { content: i } })).body.request_id));
    for (const id of ids) await settled(id);
    await eventually(async () => ((await api("GET", `/dlq?agent=${name}`)).body.entries.length === 3 ? true : undefined));
    const page1 = await api("GET", `/dlq?agent=${name}&limit=2`);
    expect(page1.body.entries).toHaveLength(2);
    const page2 = await api("GET", `/dlq?agent=${name}&limit=2&cursor=${page1.body.cursor}`);
    expect(page2.body.entries).toHaveLength(1);
    expect(page2.body.cursor).toBeNull();
    const all = [...page1.body.entries, ...page2.body.entries].map((e: { id: string }) => e.id);
    expect(new Set(all).size).toBe(3);
    expect((await api("DELETE", `/dlq/${all[0]}`)).status).toBe(204);
    expect((await api("DELETE", `/dlq/${all[0]}`)).status).toBe(404);
    for (const path of [`/dlq/${all[0]}`, "/dlq/dlq_nope"]) expect((await api("GET", path)).body.code).toBe("dlq_entry_not_found");
    expect((await api("POST", "/dlq/dlq_nope/replay")).status).toBe(404);
    expect((await api("GET", "/dlq?limit=0")).status).toBe(400);
    expect((await api("GET", "/dlq?agent=Bad_Name")).status).toBe(400);
    expect((await api("GET", "/dlq", { as: "planner" })).status).toBe(403);
  });
});

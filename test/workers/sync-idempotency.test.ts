/**
 * `POST /agents/:name/invoke` with `idempotency_key`: a retried sync call answers with the first
 * call's reply and its handler runs once (durable-objects/agent/keyed-calls.ts). The remote agents
 * here answer with how many calls they have had, so a second run would show in the reply itself.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Call, makeEnvelope } from "../../lib/message/call";
import { requestAddress } from "../../lib/message/ids";
import { idempotencyScope } from "../../lib/protocols/request-store";
import { keyShard } from "../../lib/registry/shards";
import { agentObjectStub, storesRequest } from "../support/agent-storage";
import { aborted, api, arrived, holdingAgent, inboundRow, received, release, settled, testServer, uniqueName } from "../support/api";

async function remoteAgent(path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName("keyed");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/${path}/${name}`, ...extra } });
  expect(res.status).toBe(200);
  return name;
}

const invoke = (name: string, body: Record<string, unknown>, as: "admin" | "planner" | "outsider" = "admin") =>
  api("POST", `/agents/${name}/invoke`, { as, body });

describe("a sync invoke with an idempotency key", () => {
  it("answers a retry with the first call's reply, says so, and runs the handler once", async () => {
    const name = await remoteAgent("ok");
    const first = await invoke(name, { content: "charge 5", idempotency_key: "charge-1" });
    expect(first.status).toBe(200);
    expect(first.body.content).toEqual({ echoed: "charge 5", calls: 1 });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const retry = await invoke(name, { content: "charge 5", idempotency_key: "charge-1" });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    // The key is what matters, as for async messages: the same key with other content is still the first call.
    expect((await invoke(name, { content: "charge 6", idempotency_key: "charge-1" })).body).toEqual(first.body);
    expect(await received(name)).toHaveLength(1);
    // The replayed answers are in the agent's log, as what they are.
    const row = await inboundRow(name, "duplicate");
    expect(row.detail).toContain("idempotency_key");
    // Another key, another call; no key, a call every time.
    expect((await invoke(name, { content: "charge 5", idempotency_key: "charge-2" })).body.content.calls).toBe(2);
    expect((await invoke(name, { content: "charge 5" })).body.content.calls).toBe(3);
    expect((await invoke(name, { content: "charge 5" })).body.content.calls).toBe(4);
  });

  it("scopes keys to the sender: another caller's same key is its own call", async () => {
    const name = await remoteAgent("ok");
    const mine = await invoke(name, { content: "x", idempotency_key: "k" });
    const theirs = await invoke(name, { content: "x", idempotency_key: "k" }, "planner");
    expect(theirs.status).toBe(200);
    expect(theirs.body.content.calls).toBe(2);
    expect((await invoke(name, { content: "x", idempotency_key: "k" }, "planner")).body).toEqual(theirs.body);
    expect((await invoke(name, { content: "x", idempotency_key: "k" })).body).toEqual(mine.body);
    expect(await received(name)).toHaveLength(2);
  });

  it("keeps only replies: a call that failed runs again when retried with its key", async () => {
    const name = await remoteAgent("flaky/1");
    const failed = await invoke(name, { content: "x", idempotency_key: "k" });
    expect(failed.status).toBe(502);
    const retry = await invoke(name, { content: "x", idempotency_key: "k" });
    expect(retry.status).toBe(200);
    expect(retry.body.content).toEqual({ attempt: 2 });
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect((await invoke(name, { content: "x", idempotency_key: "k" })).body).toEqual(retry.body);
    expect(await received(name)).toHaveLength(2);
  });

  it("answers a retry with its kept reply while the agent's breaker is open, and fails a new key fast", async () => {
    const name = await remoteAgent("ok", { breaker: { failure_threshold: 1, recovery_timeout_ms: 60_000 } });
    const first = await invoke(name, { content: "charge 5", idempotency_key: "k" });
    expect(first.status).toBe(200);
    const stub = agentObjectStub(name);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put("breaker", { state: "open", failures: 1, opened_at: Date.now(), probe_started_at: null, samples: [] });
    });
    await evictDurableObject(stub);
    // The object says open, and this isolate now fails the agent's plain calls fast...
    expect((await invoke(name, { content: "plain" })).body.code).toBe("circuit_open");
    expect((await invoke(name, { content: "plain" })).body.code).toBe("circuit_open");
    // ...but the retry's reply is kept: it costs the agent nothing, so the breaker has nothing to protect.
    const retry = await invoke(name, { content: "charge 5", idempotency_key: "k" });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const fresh = await invoke(name, { content: "charge 6", idempotency_key: "k2" });
    expect(fresh.status).toBe(503);
    expect(fresh.body.code).toBe("circuit_open");
    expect(await received(name)).toHaveLength(1);
  });

  it("a retry sent while the first call runs gets its reply; the handler runs once", async () => {
    const { name, key } = await holdingAgent();
    const first = invoke(name, { content: "slow", idempotency_key: "k" });
    await arrived(key);
    const retry = invoke(name, { content: "slow", idempotency_key: "k" });
    await release(key);
    const [a, b] = await Promise.all([first, retry]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await received(key)).toHaveLength(1);
  });

  it("shares keys with async messages: each answers with what the other left", async () => {
    const name = await remoteAgent("ok");
    const sync = await invoke(name, { content: "x", idempotency_key: "sync-first" });
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "x", idempotency_key: "sync-first" } });
    expect(sent.status).toBe(202);
    const state = await api("GET", `/requests/${sent.body.request_id}`);
    expect(state.body).toMatchObject({ status: "replied", attempts: 1, reply: sync.body });

    const queued = await api("POST", `/agents/${name}/messages`, { body: { content: "y", idempotency_key: "async-first" } });
    await settled(queued.body.request_id);
    const after = await invoke(name, { content: "y", idempotency_key: "async-first" });
    expect(after.status).toBe(200);
    expect(after.body).toEqual((await api("GET", `/requests/${queued.body.request_id}`)).body.reply);
    expect(after.headers.get("idempotent-replayed")).toBe("true");
    expect(await received(name)).toHaveLength(2);
  });

  it("is a conflict while the key's async request is still on its way", async () => {
    const { name, key } = await holdingAgent();
    const queued = await api("POST", `/agents/${name}/messages`, { body: { content: "x", idempotency_key: "k" } });
    await arrived(key);
    const res = await invoke(name, { content: "x", idempotency_key: "k" });
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({ code: "conflict" });
    expect(res.body.detail).toContain(queued.body.request_id);
    await release(key);
    await settled(queued.body.request_id);
    expect(await received(key)).toHaveLength(1);
  });

  it("a call that asked for input answers a retry with the same waiting request, then with its reply", async () => {
    const name = await remoteAgent("ask");
    const asked = await invoke(name, { content: "paint it", idempotency_key: "k" });
    expect(asked.status).toBe(202);
    const again = await invoke(name, { content: "paint it", idempotency_key: "k" });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(asked.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await received(name)).toHaveLength(1);
    await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: "teal" } });
    const done = await settled(asked.body.request_id, ["replied"]);
    const last = await invoke(name, { content: "paint it", idempotency_key: "k" });
    expect(last.status).toBe(200);
    expect(last.body).toEqual(done.reply);
    expect(last.body.content).toEqual({ told: ["teal"] });
    expect(await received(name)).toHaveLength(2);
  });

  it("lives on the shard its key names on a sharded agent, wherever the call arrives", async () => {
    const shards = 4;
    const name = await remoteAgent("ok", { shards });
    let key = "";
    for (let i = 0; key === "" || keyShard(idempotencyScope(null, key), shards) === 0; i++) key = `order-${i}`;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await invoke(name, { content: "once", idempotency_key: key }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[1]?.body).toEqual(answers[0]?.body);
    expect(answers[2]?.body).toEqual(answers[0]?.body);
    expect(await received(name)).toHaveLength(1);
    // The async message with the key finds the kept reply's request: on the key's shard, not at home.
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "once", idempotency_key: key } });
    const shard = requestAddress(sent.body.request_id)?.shard;
    expect(shard).toBe(keyShard(idempotencyScope(null, key), shards));
    expect(await storesRequest(name, shard as number, sent.body.request_id)).toBe(true);
    expect(await storesRequest(name, 0, sent.body.request_id)).toBe(false);
  });

  it("a cancel sent to the shard a keyed call arrived at reaches it on the key's shard", async () => {
    const shards = 4;
    const { name, key: hold } = await holdingAgent({ shards });
    let key = "";
    for (let i = 0; key === "" || keyShard(idempotencyScope(null, key), shards) === 0; i++) key = `order-${i}`;
    // As a Worker whose shard hint is stale sends it: to home, which passes it on.
    const call: Call = {
      message: makeEnvelope({ from: null, to: name, role: "agent_call", content: "hold" }),
      deadline: Date.now() + 30_000,
      path: [],
      pattern: "invoke",
    };
    const home = agentObjectStub(name, 0);
    const pending = home.invokeKeyed(call, { key, timeout_ms: null });
    await arrived(hold);
    // What the Worker does when its client disconnects: cancel at the object it sent the call to.
    expect(await home.cancel(call.message.id, "the client went away")).toBe(true);
    expect(await pending).toMatchObject({ ok: false, code: "cancelled" });
    expect((await aborted(hold)).aborted).toBe(true);
    expect(await received(hold)).toHaveLength(1);
  });

  it("asks the ACL as it is now, also for a kept reply, and stores nothing for a refused call", async () => {
    const name = await remoteAgent("ok", { acl: { allow: ["planner"] } });
    const refused = await invoke(name, { content: "x", idempotency_key: "k" }, "outsider");
    expect(refused.status).toBe(403);
    const allowed = await invoke(name, { content: "x", idempotency_key: "k" }, "planner");
    expect(allowed.status).toBe(200);
    expect(allowed.body.content.calls).toBe(1);
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: [] } } })).status).toBe(200);
    expect((await invoke(name, { content: "x", idempotency_key: "k" }, "planner")).status).toBe(403);
    expect(await received(name)).toHaveLength(1);
  });

  it.each([[{ content: "x", idempotency_key: "" }], [{ content: "x", idempotency_key: 7 }], [{ content: "x", idempotency_key: "a\u0000b" }]])(
    "refuses a malformed key %j with 400 and calls nobody",
    async (body) => {
      const name = await remoteAgent("ok");
      const res = await invoke(name, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("invalid_request");
      expect(await received(name)).toHaveLength(0);
    },
  );
});

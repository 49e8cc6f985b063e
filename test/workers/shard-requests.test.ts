/**
 * A sharded agent's async requests are spread over its shards: each is stored, delivered, read
 * and cancelled on the shard its id names, so the home object is not the bottleneck for async
 * traffic, while the breaker stays one logical breaker (test/workers/shards.test.ts). Its own
 * requests (ctx.request) wait on the shard that made them, so their replies are delivered there.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestAddress } from "../../lib/message/ids";
import { idempotencyScope, RequestStore } from "../../lib/protocols/request-store";
import { keyShard, shardObjectName } from "../../lib/registry/shards";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";

const SHARDS = 4;
const objectOf = (agent: string, shard: number) => env.AGENT.get(env.AGENT.idFromName(shardObjectName(agent, shard)));
const storedOn = (agent: string, shard: number, requestId: string) =>
  runInDurableObject(objectOf(agent, shard), (_, state) => new RequestStore(state.storage.sql).get(requestId) !== null);

describe("a sharded agent's async requests", () => {
  it("spread over its shards, each delivered by the shard its id names", async () => {
    const name = uniqueName("async-hot");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: SHARDS } });
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const sent = await api("POST", `/agents/${name}/messages`, { body: { content: i } });
      expect(sent.status).toBe(202);
      ids.push(sent.body.request_id);
    }
    for (const id of ids) expect((await settled(id)).status).toBe("replied");
    const shards = ids.map((id) => requestAddress(id)?.shard);
    expect(new Set(shards).size).toBeGreaterThan(2);

    const away = ids.find((id) => requestAddress(id)?.shard !== 0) as string;
    const shard = requestAddress(away)?.shard as number;
    expect(await storedOn(name, shard, away)).toBe(true);
    expect(await storedOn(name, 0, away)).toBe(false);
    // Its delivery ran through that shard's pipeline: the merged log says which shard logged it.
    const log = await api("GET", `/agents/${name}/log?limit=100`);
    const rows = log.body.entries.filter((e: { request_id?: string; pattern: string }) => e.request_id === away && e.pattern === "async");
    expect(rows.map((r: { shard: number }) => r.shard)).toEqual([shard]);
    expect(await received(name)).toHaveLength(24);
  });

  it("keep one request per idempotency key, whichever shard the key arrives at", async () => {
    const name = uniqueName("async-keyed");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: SHARDS } });
    // A key that belongs to another shard than home: the first send (shard count not yet known here) goes home and is passed on.
    let key = "";
    for (let i = 0; key === "" || keyShard(idempotencyScope(null, key), SHARDS) === 0; i++) key = `order-${i}`;
    const sends = [];
    for (let i = 0; i < 4; i++) sends.push(await api("POST", `/agents/${name}/messages`, { body: { content: "once", idempotency_key: key } }));
    const ids = new Set(sends.map((s) => s.body.request_id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as [string];
    expect(requestAddress(id)?.shard).toBe(keyShard(idempotencyScope(null, key), SHARDS));
    expect((await settled(id)).status).toBe("replied");
    expect(await received(name)).toHaveLength(1);
  });

  it("are cancelled on their own shard", async () => {
    const name = uniqueName("async-held");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/hold/${name}`, shards: SHARDS } });
    // The first answer tells this isolate the shard count, so the next requests spread.
    expect((await api("POST", `/agents/${name}/messages`, { body: { content: "first" } })).status).toBe(202);
    let id = "";
    for (let i = 0; i < 20 && (id === "" || requestAddress(id)?.shard === 0); i++) {
      id = (await api("POST", `/agents/${name}/messages`, { body: { content: i, timeout_ms: 20_000 } })).body.request_id;
    }
    expect(requestAddress(id)?.shard).not.toBe(0);
    const cancelled = await api("DELETE", `/requests/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ request_id: id, status: "cancelled" });
    expect((await api("GET", `/requests/${id}`)).body.status).toBe("cancelled");
  });
});

describe("a sharded agent's own requests (ctx.request)", () => {
  it("get their replies on the shard that waits for them", { timeout: 90_000 }, async () => {
    const put = await api("PUT", "/agents/researcher", { body: { shards: SHARDS } });
    expect(put.body.shards).toBe(SHARDS);
    try {
      const answers = [];
      for (let i = 0; i < 6; i++) {
        answers.push(
          await api("POST", "/agents/researcher/invoke", { body: { content: { claim: `According to the source, ${i} agents replied.` }, timeout_ms: 8_000 } }),
        );
      }
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      for (const a of answers) expect(a.body.content).toMatchObject({ verification: { verdict: "supported" } });
      // The calls ran on several shards, and each shard logged the replies to its own requests.
      const log = await api("GET", "/agents/researcher/log?limit=200");
      const replies = log.body.entries.filter((e: { role: string; outcome: string }) => e.role === "reply" && e.outcome === "ok");
      expect(new Set(replies.map((r: { shard: number }) => r.shard)).size).toBeGreaterThan(1);
    } finally {
      await api("DELETE", "/agents/researcher");
    }
  });
});

describe("a sharded agent's observers", () => {
  it("are copied to every shard, so events fan out from any of them, and leave them all when detached", async () => {
    const name = uniqueName("observed-hot");
    const sink = uniqueName("sink");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: SHARDS } });
    const attached = await api("POST", `/agents/${name}/observers`, { body: { url: `${testServer()}/ok/${sink}` } });
    expect(attached.status).toBe(201);
    for (let i = 0; i < 16; i++) expect((await api("POST", `/agents/${name}/events`, { body: { event: "tick", data: i } })).body.observers).toBe(1);
    await eventually(async () => ((await received(sink)).length === 16 ? true : undefined), 20_000, "16 deliveries");
    const log = await api("GET", `/agents/${name}/log?limit=100`);
    const fannedOutBy = new Set(log.body.entries.filter((e: { pattern: string }) => e.pattern === "fanout").map((e: { shard: number }) => e.shard));
    expect(fannedOutBy.size).toBeGreaterThan(1);

    expect((await api("DELETE", `/agents/${name}/observers/${attached.body.id}`)).status).toBe(204);
    for (let i = 0; i < 8; i++) expect((await api("POST", `/agents/${name}/events`, { body: { event: "tick" } })).body.observers).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { allShards, parseObjectName, pickShard, shardCap, shardObjectName } from "../../lib/registry/shards";
import { api, eventually, received, testServer, uniqueName } from "../support/api";

describe("shard naming and split", () => {
  it("names shards so they never collide with agents, and splits the cap", () => {
    expect(allShards("search", 3)).toEqual(["search", "search#1", "search#2"]);
    expect(parseObjectName("search#2")).toEqual({ agent: "search", shard: 2 });
    expect(parseObjectName(shardObjectName("a-b", 0))).toEqual({ agent: "a-b", shard: 0 });
    expect([shardCap(10, 4), shardCap(3, 4), shardCap(10, 1)]).toEqual([3, 1, 10]);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[pickShard(4)]! += 1;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});

describe("sharded agents", () => {
  it("spread sync calls over N objects, with one merged log and status", async () => {
    const name = uniqueName("hot");
    const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 4 } });
    expect(put.body.shards).toBe(4);
    for (let i = 0; i < 40; i++) expect((await api("POST", `/agents/${name}/invoke`, { body: { content: i } })).status).toBe(200);
    const log = await api("GET", `/agents/${name}/log?limit=100`);
    expect(log.body.entries).toHaveLength(40);
    const shards = new Set(log.body.entries.map((e: { shard: number }) => e.shard));
    expect(shards.size).toBeGreaterThan(2);
    expect((await api("GET", `/agents/${name}`)).body.status.in_flight).toBe(0);
    const metrics = await api("GET", `/agents/${name}/metrics`);
    const inbound = metrics.body.messages.filter((m: { direction: string; outcome: string }) => m.direction === "in" && m.outcome === "ok");
    expect(inbound.reduce((n: number, m: { count: number }) => n + m.count, 0)).toBe(40);
    expect(metrics.body.latency_ms.samples).toBe(40);
    // Each shard pushes its own counters; the scrape adds them up.
    await eventually(async () => {
      const prometheus = String((await api("GET", "/metrics")).body);
      return prometheus.includes(`switchboard_messages_total{agent="${name}",outcome="ok"} 40`) ? true : undefined;
    });
  });

  it("keep one logical breaker: failures on any shard open it for all, and reset closes it everywhere", async () => {
    const name = uniqueName("hot-fail");
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/status/503/${name}`, shards: 4, breaker: { failure_threshold: 3, recovery_timeout_ms: 60_000 } },
    });
    // Warm the shard hint so calls spread, then fail until the home breaker opens.
    await eventually(async () => {
      await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
      return (await api("GET", `/agents/${name}/breaker`)).body.state === "open" ? true : undefined;
    });
    // Once the transition has reached every shard, no call reaches the agent.
    await eventually(async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => api("POST", `/agents/${name}/invoke`, { body: { content: "y" } })));
      return results.every((r) => r.status === 503) ? true : undefined;
    });
    const reached = (await received(name)).length;
    const results = await Promise.all(Array.from({ length: 20 }, () => api("POST", `/agents/${name}/invoke`, { body: { content: "z" } })));
    expect(results.map((r) => r.body.code)).toEqual(Array(20).fill("circuit_open"));
    expect((await received(name)).length).toBe(reached);

    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 4, breaker: { failure_threshold: 3, recovery_timeout_ms: 60_000 } },
    });
    expect((await api("POST", `/agents/${name}/breaker/reset`)).body.state).toBe("closed");
    await eventually(async () => {
      const all = await Promise.all(Array.from({ length: 8 }, () => api("POST", `/agents/${name}/invoke`, { body: { content: "ok" } })));
      return all.every((r) => r.status === 200) ? true : undefined;
    });
  });
});

describe("sharded agents that require a handshake", () => {
  it("admit an accepted peer on every shard (audit: 8 of 12 calls got handshake_required)", async () => {
    const name = uniqueName("hot-guarded");
    const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 4, require_handshake: true } });
    expect(put.status).toBe(200);
    expect((await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: 0 } })).status).toBe(409);
    const shook = await api("POST", `/agents/${name}/handshake`, { as: "planner", body: { version: "1.0.0", capabilities: [] } });
    expect(shook.body.status).toBe("accepted");
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: i } })).status);
    expect(statuses).toEqual(Array(12).fill(200));
    // Calls really spread over the shards, and one that was never shaken hands with is refused on all of them.
    const log = await api("GET", `/agents/${name}/log?limit=100`);
    expect(new Set(log.body.entries.filter((e: { outcome: string }) => e.outcome === "ok").map((e: { shard: number }) => e.shard)).size).toBeGreaterThan(1);
    for (let i = 0; i < 6; i++) expect((await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: i } })).status).toBe(409);
  });

  it("admit them on shards added after the handshake", async () => {
    const name = uniqueName("grown");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 2, require_handshake: true } });
    expect((await api("POST", `/agents/${name}/handshake`, { as: "planner", body: { version: "1.0.0", capabilities: [] } })).body.status).toBe("accepted");
    expect(
      (await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 6, require_handshake: true } })).status,
    ).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 18; i++) statuses.push((await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: i } })).status);
    expect(statuses).toEqual(Array(18).fill(200));
  });
});

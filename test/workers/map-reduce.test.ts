import { describe, expect, it } from "vitest";
import { api, receivedJson, testServer, uniqueName } from "../support/api";

/** A remote agent on the test server: `/ok/<name>` answers, `/status/500/<name>` always fails. */
async function remote(scenario: "ok" | "status/500", acl?: string[]): Promise<string> {
  const name = uniqueName(scenario === "ok" ? "mr-ok" : "mr-fail");
  const res = await api("PUT", `/agents/${name}`, {
    body: { kind: "http", url: `${testServer()}/${scenario}/${name}`, ...(acl ? { acl: { allow: acl } } : {}) },
  });
  expect(res.status).toBe(200);
  return name;
}

describe("POST /patterns/map-reduce", () => {
  it("counts words over two mappers and reduces structured results", async () => {
    const res = await api("POST", "/patterns/map-reduce", {
      body: { data: ["The cat", "the dog", "a cat sat"], mappers: ["wordcount-map", "wordcount-map"], reducer: "wordcount-reduce" },
    });
    expect(res.status).toBe(200);
    expect(res.body.chunks).toBe(2);
    expect(res.body.result).toMatchObject({ role: "reply", from: "wordcount-reduce" });
    expect(res.body.result.content).toEqual({ counts: { cat: 2, the: 2, a: 1, dog: 1, sat: 1 }, words: 7, failed_chunks: [] });
    expect(res.body.map_results.map((r: any) => [r.index, r.mapper, r.chunk])).toEqual([
      [0, "wordcount-map", ["The cat", "the dog"]],
      [1, "wordcount-map", ["a cat sat"]],
    ]);
    expect(res.body.map_results[1].reply).toMatchObject({ role: "reply", content: { a: 1, cat: 1, sat: 1 } });
    const log = await api("GET", "/agents/wordcount-map/log?limit=5");
    expect(log.body.entries[0]).toMatchObject({ direction: "in", pattern: "map-reduce", outcome: "ok" });
  });

  it("never sends empty chunks: 2 items over 4 mappers call 2 of them", async () => {
    const reducer = await remote("ok");
    const mappers = [await remote("ok"), await remote("ok"), await remote("ok"), await remote("ok")];
    const res = await api("POST", "/patterns/map-reduce", { body: { data: [1, 2], mappers, reducer } });
    expect(res.status).toBe(200);
    expect(res.body.chunks).toBe(2);
    const counts = await Promise.all(mappers.map(async (m) => (await receivedJson(m)).length));
    expect(counts).toEqual([1, 1, 0, 0]);
    // The reducer got the map results as JSON, not as a string.
    const [call] = await receivedJson(reducer);
    expect(call?.body.content).toEqual([
      { index: 0, mapper: mappers[0], reply: { echoed: [1], calls: 1 } },
      { index: 1, mapper: mappers[1], reply: { echoed: [2], calls: 1 } },
    ]);
    expect(call?.body.metadata).toMatchObject({ chunks: 2, succeeded: 2 });
  });

  it("spreads more chunks than mappers round-robin with chunk_size", async () => {
    const reducer = await remote("ok");
    const mappers = [await remote("ok"), await remote("ok")];
    const res = await api("POST", "/patterns/map-reduce", { body: { data: [1, 2, 3, 4, 5], mappers, reducer, chunk_size: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.map_results.map((r: any) => [r.mapper, r.chunk])).toEqual([
      [mappers[0], [1, 2]],
      [mappers[1], [3, 4]],
      [mappers[0], [5]],
    ]);
    expect((await receivedJson(mappers[0] as string)).length).toBe(2);
  });

  it("with a failing mapper and min_success = all, does not reduce and answers 502 with every map result", async () => {
    const good = await remote("ok");
    const bad = await remote("status/500");
    const reducer = await remote("ok");
    const res = await api("POST", "/patterns/map-reduce", { body: { data: ["a", "b", "c"], mappers: [good, bad, good], reducer } });
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({ code: "agent_error", stage: "map", chunks: 3 });
    expect(res.body.detail).toContain("2 of 3 mappers succeeded, 3 needed");
    expect(res.body.map_results[1]).toMatchObject({ index: 1, mapper: bad, chunk: ["b"], error: { code: "agent_error" } });
    expect(res.body.map_results[0].reply.content).toEqual({ echoed: ["a"], calls: 1 });
    expect(await receivedJson(reducer)).toHaveLength(0);
  });

  it("with a failing mapper and min_success = 2, reduces what succeeded and lists the error", async () => {
    const good = await remote("ok");
    const bad = await remote("status/500");
    const reducer = await remote("ok");
    const res = await api("POST", "/patterns/map-reduce", { body: { data: ["a", "b", "c"], mappers: [good, bad, good], reducer, min_success: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.map_results.map((r: any) => ("reply" in r ? "reply" : r.error.code))).toEqual(["reply", "agent_error", "reply"]);
    const [call] = await receivedJson(reducer);
    expect(call?.body.content[1]).toMatchObject({ index: 1, mapper: bad, error: { code: "agent_error" } });
    expect(call?.body.content[2]).toEqual({ index: 2, mapper: good, reply: { echoed: ["c"], calls: 2 } });
    expect(res.body.result.content).toEqual({ echoed: call?.body.content, calls: 1 });
  });

  it("uses the mappers' own code when they all fail the same way (ACL with the caller's from)", async () => {
    const guarded = await remote("ok", ["planner"]);
    const reducer = await remote("ok");
    const denied = await api("POST", "/patterns/map-reduce", { as: "outsider", body: { data: [1, 2], mappers: [guarded], reducer } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: "forbidden", stage: "map" });
    expect(await receivedJson(guarded)).toHaveLength(0);
    const allowed = await api("POST", "/patterns/map-reduce", { as: "planner", body: { data: [1, 2], mappers: [guarded], reducer } });
    expect(allowed.status).toBe(200);
    expect((await receivedJson(guarded))[0]?.body.from).toBe("planner");
  });

  it("passes the reducer's failure through", async () => {
    const bad = await remote("status/500");
    const res = await api("POST", "/patterns/map-reduce", { body: { data: ["x"], mappers: ["wordcount-map"], reducer: bad } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "agent_error", stage: "reduce" });
    expect(res.body.map_results[0].reply.content).toEqual({ x: 1 });
  });

  it("rejects bad bodies naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ data: [1], mappers: [], reducer: "echo" }, "mappers"],
      [{ data: [1, 2], mappers: ["echo"], reducer: "echo", min_success: 2 }, "min_success"],
      [{ data: [1], mappers: ["echo"], reducer: "echo", chunk_size: 0 }, "chunk_size"],
      [{ data: Array.from({ length: 300 }, (_, i) => i), mappers: ["echo"], reducer: "echo", chunk_size: 1 }, "chunk_size"],
      [{ data: "abc", mappers: ["echo"], reducer: "echo" }, "data"],
      [{ data: [1], mappers: ["Bad_Name"], reducer: "echo" }, "mappers"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/patterns/map-reduce", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.detail).toContain(field);
    }
  });

  it("404s an unknown mapper", async () => {
    const res = await api("POST", "/patterns/map-reduce", { body: { data: [1], mappers: ["nobody-maps"], reducer: "echo" } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("agent_not_found");
  });
});

describe("ctx.mapReduce", () => {
  it("runs from agent code, each mapper call through its pipeline with the agent as from", async () => {
    const res = await api("POST", "/agents/wordcount/invoke", { body: { content: "one two\ntwo three\nthree three" } });
    expect(res.status).toBe(200);
    expect(res.body.content).toMatchObject({ counts: { three: 3, two: 2, one: 1 }, words: 6, chunks: 2 });
    const mapperLog = (await api("GET", "/agents/wordcount-map/log?limit=10")).body.entries;
    expect(mapperLog.find((e: any) => e.from === "wordcount")).toMatchObject({ direction: "in", pattern: "map-reduce", outcome: "ok" });
    const own = (await api("GET", "/agents/wordcount/log?limit=10")).body.entries;
    expect(own.filter((e: any) => e.direction === "out" && e.pattern === "map-reduce").map((e: any) => e.to)).toEqual(
      expect.arrayContaining(["wordcount-map", "wordcount-reduce"]),
    );
  });
});

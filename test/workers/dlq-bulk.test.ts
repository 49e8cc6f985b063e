/**
 * An agent's dead letters in bulk, through the real queues, agent objects and dead-letter store:
 * `POST /dlq/replay` replays them oldest first, `limit` at a time; `DELETE /dlq?agent=` deletes them.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index";
import { newRequestId, requestAddress } from "../../lib/message/ids";
import { deadLetters } from "../../lib/resilience/dead-letter-store";
import { api, arrived, eventually, received, release, settled, testServer, uniqueName } from "../support/api";

/** Registers (or re-points) `name` at the test server's `path`, with no retries: one failure is a dead letter. */
async function point(name: string, path: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await api("PUT", `/agents/${name}`, {
    body: {
      kind: "http",
      url: `${testServer()}/${path}/${name}`,
      limits: { max_retries: 0, retry_delay_ms: 0 },
      breaker: { failure_threshold: 100 },
      ...extra,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** `n` async messages to `name` that fail once and are dead-lettered; their request ids, in the order sent. */
async function deadLettered(name: string, n: number): Promise<string[]> {
  const before = (await letters(name)).length;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await api("POST", `/agents/${name}/messages`, { body: { content: `letter ${i}` } })).body.request_id);
  for (const id of ids) expect((await settled(id)).status).toBe("dead_lettered");
  await eventually(async () => ((await letters(name)).length === before + n ? true : undefined), 20_000, `${n} more dead letters for ${name}`);
  return ids;
}

/** Two agents that fail every call: `name` with `n` dead letters, `other` with one. */
async function failingPair(prefix: string, n: number): Promise<{ name: string; other: string; requests: string[] }> {
  const name = uniqueName(prefix);
  const other = uniqueName(`${prefix}-other`);
  await point(name, "status/503");
  await point(other, "status/503");
  const requests = await deadLettered(name, n);
  await deadLettered(other, 1);
  return { name, other, requests };
}

/** `name`'s dead letters, newest first. */
async function letters(name: string): Promise<any[]> {
  return (await api("GET", `/dlq?agent=${name}&limit=500`)).body.entries;
}

const replayAll = (body: unknown, as: "admin" | "planner" = "admin") => api("POST", "/dlq/replay", { as, body });

describe("POST /dlq/replay", () => {
  it("replays an agent's letters oldest first, limit at a time, says how many are left, and leaves other agents' alone", async () => {
    const { name, other, requests } = await failingPair("bulk", 3);
    const oldestFirst = (await letters(name)).map((e) => e.id).reverse();
    // Letters are dated by when each request gave up, which need not be the order they were sent in.
    const byLetter = await Promise.all(oldestFirst.map(async (id) => (await api("GET", `/dlq/${id}`)).body.message.metadata.request_id));
    expect([...byLetter].sort()).toEqual([...requests].sort());

    await point(name, "ok");
    const first = await replayAll({ agent: name, limit: 2 });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ agent: name, replaying: oldestFirst.slice(0, 2), failed: [], remaining: 1, cursor: oldestFirst[1] });
    // Without the cursor it starts from the oldest again, and skips the letters already replaying.
    const second = await replayAll({ agent: name });
    expect(second.body).toEqual({ agent: name, replaying: oldestFirst.slice(2), failed: [], remaining: 0, cursor: null });

    for (const id of requests) expect(await settled(id, ["replied"])).toMatchObject({ status: "replied", attempts: 2 });
    await eventually(async () => ((await letters(name)).length === 0 ? true : undefined), 20_000, "the delivered letters to go");
    expect((await replayAll({ agent: name })).body).toEqual({ agent: name, replaying: [], failed: [], remaining: 0, cursor: null });
    expect(await letters(other)).toMatchObject([{ agent: other, status: "dead", replays: 0 }]);
  });

  it("replays a sharded agent's letters on every shard, and its fan-out letters with them", async () => {
    const name = uniqueName("bulk-sharded");
    await point(name, "status/503", { shards: 4 });
    const observer = uniqueName("bulk-observer");
    expect((await api("POST", `/agents/${name}/observers`, { body: { url: `${testServer()}/flaky/1/${observer}` } })).status).toBe(201);
    const requests = await deadLettered(name, 8);
    expect(new Set(requests.map((id) => requestAddress(id)?.shard)).size, "requests on more than one shard").toBeGreaterThan(1);
    expect((await api("POST", `/agents/${name}/events`, { body: { event: "once", data: 1 } })).status).toBe(202);
    const all = await eventually(
      async () => {
        const entries = await letters(name);
        return entries.length === 9 ? entries : undefined;
      },
      20_000,
      "the fan-out letter too",
    );
    expect(all.filter((e) => e.queue === "fanout")).toHaveLength(1);

    await point(name, "ok", { shards: 4 });
    const replayed = await replayAll({ agent: name });
    expect(replayed.body).toMatchObject({ failed: [], remaining: 0 });
    expect([...replayed.body.replaying].sort()).toEqual(all.map((e) => e.id).sort());
    for (const id of requests) expect((await settled(id, ["replied"])).status).toBe("replied");
    await eventually(async () => ((await letters(name)).length === 0 ? true : undefined), 20_000, "every replayed letter to go");
    expect(await received(observer)).toHaveLength(2);
  });

  it("does not take a letter that is already being replayed again", async () => {
    const name = uniqueName("bulk-held");
    await point(name, "status/503");
    const [request] = await deadLettered(name, 1);
    const [letter] = await letters(name);
    await point(name, "hold");
    expect((await replayAll({ agent: name })).body).toMatchObject({ replaying: [letter.id], remaining: 0 });
    await arrived(name);
    expect((await api("GET", `/dlq/${letter.id}`)).body).toMatchObject({ status: "replaying", replays: 1 });
    expect((await replayAll({ agent: name })).body).toEqual({ agent: name, replaying: [], failed: [], remaining: 0, cursor: null });
    // Replayed alone meanwhile, it is sent again; the spare queue message runs nothing: handed to
    // the consumer while the attempt runs it is retried, after the reply it is acked.
    expect((await api("POST", `/dlq/${letter.id}/replay`)).status).toBe(202);
    const spare = async () => {
      const batch = createMessageBatch<unknown>("switchboard-deliveries", [
        { id: "spare", timestamp: new Date(), attempts: 1, body: { kind: "deliver", agent: name, request_id: request, replay_of: letter.id } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      return getQueueResult(batch, ctx);
    };
    expect((await spare()).retryMessages.map((m) => m.msgId)).toEqual(["spare"]);
    await release(name);
    expect((await settled(request as string, ["replied"])).status).toBe("replied");
    expect((await spare()).explicitAcks).toEqual(["spare"]);
    await eventually(async () => ((await letters(name)).length === 0 ? true : undefined), 20_000, "the delivered letter to go");
    // The failed first attempt and the held replay, nothing more.
    expect(await received(name)).toHaveLength(2);
    await eventually(async () => ((await letters(name)).length === 0 ? true : undefined), 20_000, "the delivered letter to go");
  });

  it("reports a letter it cannot replay and keeps it dead, in bulk and alone; the cursor goes on past it", async () => {
    const name = uniqueName("bulk-gone");
    await point(name, "status/503");
    const [first] = await deadLettered(name, 1);
    // A letter the queue moved itself (it holds only the queue message) whose request is gone: nothing to recreate it from.
    const now = new Date().toISOString();
    const id = await deadLetters(env).put({
      agent: name,
      queue: "deliveries",
      body: { kind: "deliver", agent: name, request_id: newRequestId(name) },
      error: { code: "agent_error", detail: "gone" },
      attempts: 1,
      first_failed_at: now,
      last_failed_at: now,
    });
    const [last] = await deadLettered(name, 1);
    const [older, gone, newer] = (await letters(name)).map((e) => e.id).reverse();
    expect(gone).toBe(id);
    await point(name, "ok");
    // The letter in the middle fails and stays dead; the cursor moves past it, so the loop ends.
    const seen: string[] = [];
    const failed: string[] = [];
    let cursor: string | null | undefined;
    for (let call = 0; call < 5 && cursor !== null; call++) {
      const page = await replayAll({ agent: name, limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(202);
      seen.push(...page.body.replaying);
      failed.push(...page.body.failed.map((f: { id: string; code: string }) => `${f.id} ${f.code}`));
      cursor = page.body.cursor;
    }
    expect(cursor).toBeNull();
    expect(failed).toEqual([`${id} request_not_found`]);
    expect(seen).toEqual([older, newer]);
    for (const request of [first, last]) expect((await settled(request as string, ["replied"])).status).toBe("replied");
    expect((await api("GET", `/dlq/${id}`)).body).toMatchObject({ status: "dead", replays: 0 });
    const alone = await api("POST", `/dlq/${id}/replay`);
    expect(alone.status).toBe(404);
    expect(alone.body.code).toBe("request_not_found");
    expect((await api("GET", `/dlq/${id}`)).body).toMatchObject({ status: "dead", replays: 0 });
  });

  it("refuses bad input and other callers with a problem, and changes nothing", async () => {
    const name = uniqueName("bulk-bad");
    await point(name, "status/503");
    await deadLettered(name, 1);
    for (const body of [
      {},
      { agent: "Bad_Name" },
      { agent: name, limit: 0 },
      { agent: name, limit: 101 },
      { agent: name, limit: "5" },
      { agent: name, cursor: "x" },
      [name],
    ]) {
      const res = await replayAll(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("invalid_request");
    }
    expect((await replayAll({ agent: name }, "planner")).status).toBe(403);
    expect(await letters(name)).toMatchObject([{ status: "dead", replays: 0 }]);
  });
});

describe("DELETE /dlq?agent=", () => {
  it("deletes an agent's dead letters, leaving those being replayed and other agents' alone", async () => {
    const { name, other, requests } = await failingPair("purge", 3);
    const [held] = requests;
    const replaying = (await letters(name)).find((e) => e.message.metadata.request_id === held);
    await point(name, "hold");
    expect((await api("POST", `/dlq/${replaying.id}/replay`)).status).toBe(202);
    await arrived(name);

    for (const [path, status] of [
      ["/dlq", 400],
      ["/dlq?agent=Bad_Name", 400],
    ] as const) {
      const res = await api("DELETE", path);
      expect(res.status, path).toBe(status);
      expect(res.body.code).toBe("invalid_request");
    }
    expect((await api("DELETE", `/dlq?agent=${name}`, { as: "planner" })).status).toBe(403);
    expect(await letters(name)).toHaveLength(3);

    const purged = await api("DELETE", `/dlq?agent=${name}`);
    expect(purged.status).toBe(200);
    expect(purged.body).toEqual({ agent: name, deleted: 2, replaying: 1 });
    expect(await letters(name)).toMatchObject([{ id: replaying.id, status: "replaying" }]);
    expect(await letters(other)).toHaveLength(1);
    // The replay left alone still settles its letter.
    await release(name);
    expect((await settled(held as string, ["replied"])).status).toBe("replied");
    await eventually(async () => ((await letters(name)).length === 0 ? true : undefined), 20_000, "the replayed letter to go");
    expect((await api("DELETE", `/dlq?agent=${name}`)).body).toEqual({ agent: name, deleted: 0, replaying: 0 });
  });
});

/**
 * A sharded agent's async requests are spread over its shards: each is stored, delivered, read
 * and cancelled on the shard its id names, so the home object is not the bottleneck for async
 * traffic, while the breaker stays one logical breaker (test/workers/shards.test.ts). A
 * flow-controlled agent keeps each key on one shard, so its limits stay exact; a pause holds every
 * shard, and A2A tasks live on the shard their id hashes to. Its own
 * requests (ctx.request) wait on the shard that made them, so their replies are delivered there.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { requestAddress } from "../../lib/message/ids";
import { idempotencyScope } from "../../lib/protocols/request-store";
import { keyShard } from "../../lib/registry/shards";
import { agentRef, requestOwner } from "../../lib/agents/agent-ref";
import { a2aClient } from "../support/a2a-client";
import { agentObjectStub, storesRequest } from "../support/agent-storage";
import { KEYS } from "../support/keys";
import { api, eventually, received, release, sendAsTenant, settled, tenantStats, testServer, uniqueName } from "../support/api";

const SHARDS = 4;

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
    expect(await storesRequest(name, shard, away)).toBe(true);
    expect(await storesRequest(name, 0, away)).toBe(false);
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
    // The others are answered, so their deliveries do not hold the queue for the tests after this.
    await release(name);
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

const flowShard = (tenant: string) =>
  requestOwner(
    { shards: SHARDS, flow: { key: "metadata.tenant" } },
    {
      message: { metadata: { tenant } } as never,
      reply_to: null,
      timeout_ms: null,
    },
  );

describe("a sharded agent with flow control", () => {
  it("keeps each key's requests on one shard, so its concurrency and rate stay exact", { timeout: 60_000 }, async () => {
    const name = uniqueName("flow-hot");
    const flow = { key: "metadata.tenant", concurrency: 2, rate: { limit: 4, period_ms: 1000 } };
    const put = await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/tenants/30/${name}`, shards: SHARDS, limits: { max_concurrency: 50, retry_delay_ms: 0 }, flow },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // Two tenants whose keys belong to different shards, one of them not home.
    const tenants = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
    const a = tenants.find((t) => flowShard(t) !== 0) as string;
    const b = tenants.find((t) => flowShard(t) !== flowShard(a)) as string;
    const before = Date.now();
    const ids = { [a]: await sendAsTenant(name, a, 8), [b]: await sendAsTenant(name, b, 8) };
    for (const tenant of [a, b]) expect(new Set(ids[tenant]?.map((id) => requestAddress(id)?.shard)), tenant).toEqual(new Set([flowShard(tenant)]));
    const states = await Promise.all(
      Object.values(ids)
        .flat()
        .map((id) => settled(id, ["replied"], 30_000)),
    );
    expect(states.every((s) => s.attempts === 1)).toBe(true);
    const stats = await tenantStats(name);
    for (const tenant of [a, b]) {
      const starts = stats[tenant]?.starts ?? [];
      expect(starts, tenant).toHaveLength(8);
      // The key's window is counted in one object: four in the first second, the rest a period later.
      expect(starts.filter((t) => t < before + 1000).length, tenant).toBeLessThanOrEqual(4);
      expect(Math.max(...starts), tenant).toBeGreaterThanOrEqual(before + 1000);
      expect(stats[tenant]?.max_in_flight, tenant).toBeLessThanOrEqual(2);
    }
  });

  it("is paused on every shard: nothing is delivered until resume, and the status adds up what each shard holds", { timeout: 60_000 }, async () => {
    const name = uniqueName("paused-hot");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/tenants/1/${name}`, shards: SHARDS } });
    // The first answer tells this isolate the shard count, so the held ones spread.
    await settled((await sendAsTenant(name, "first", 1))[0] as string, ["replied"]);
    expect((await api("POST", `/agents/${name}/pause`)).body).toMatchObject({ agent: name, paused: true });
    const ids = await sendAsTenant(name, "held", 16);
    const shards = new Set(ids.map((id) => requestAddress(id)?.shard));
    expect(shards.size).toBeGreaterThan(1);
    const status = await eventually(async () => {
      const res = await api("GET", `/agents/${name}`);
      return res.body.status.held === 16 ? res.body.status : undefined;
    });
    expect(status).toMatchObject({ paused: true, held: 16 });
    expect((await api("GET", `/agents/${name}/metrics`)).body.deliveries).toMatchObject({ paused: true, held: 16 });
    for (let shard = 0; shard < SHARDS; shard++) await runDurableObjectAlarm(agentObjectStub(name, shard));
    expect((await tenantStats(name)).held).toBeUndefined();

    expect((await api("POST", `/agents/${name}/resume`)).body).toMatchObject({ agent: name, paused: false });
    for (const id of ids) expect((await settled(id, ["replied"])).attempts).toBe(1);
    expect((await tenantStats(name)).held?.starts).toHaveLength(16);
    expect((await api("GET", `/agents/${name}`)).body.status).toMatchObject({ paused: false, held: 0 });
  });
});

function dataMessage(value: Record<string, unknown>, extra: Partial<Message> = {}): Message {
  const part = { content: { $case: "data" as const, value }, mediaType: "application/json", filename: "", metadata: {} };
  return { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: 1, parts: [part], metadata: {}, extensions: [], referenceTaskIds: [], ...extra };
}

/** The shards whose object keeps A2A task `id`. */
async function taskHolders(agent: string, id: string): Promise<number[]> {
  const holds = await Promise.all(Array.from({ length: SHARDS }, (_, k) => agentRef(env, agent).onShard(k).loadTask(id, null)));
  return holds.flatMap((task, k) => (task ? [k] : []));
}

describe("a sharded agent's A2A tasks", () => {
  it("spread over its shards: GetTask, SubscribeToTask, CancelTask and ListTasks reach a task on a shard other than home", { timeout: 90_000 }, async () => {
    expect((await api("PUT", "/agents/approver", { body: { shards: SHARDS } })).body.shards).toBe(SHARDS);
    try {
      const client = await a2aClient("approver");
      const tasks: Task[] = [];
      for (let i = 0; i < 8; i++) tasks.push((await client.sendMessage({ message: dataMessage({ item: `laptop ${i}`, amount: 1200 + i }) } as never)) as Task);
      const holders = await Promise.all(tasks.map((t) => taskHolders("approver", t.id)));
      // Each task is kept by exactly one shard, and they are not all at home.
      for (const held of holders) expect(held).toHaveLength(1);
      expect(new Set(holders.map(([k]) => k)).size).toBeGreaterThan(1);
      const away = tasks.filter((_, i) => holders[i]?.[0] !== 0);
      const [answered, cancelled] = away as [Task, Task];
      const shardOf = (t: Task) => holders[tasks.indexOf(t)]?.[0];
      // The request a waiting task waits as lives beside it, and its id says so.
      expect(requestAddress(answered.metadata?.requestId as string)?.shard).toBe(shardOf(answered));
      expect((await client.getTask({ id: answered.id } as never)).status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);

      const events: string[] = [];
      const subscription = (async () => {
        for await (const event of client.resubscribeTask({ id: answered.id } as never)) {
          const { payload } = event as { payload: { $case: string; value: { status?: { state: TaskState } } } };
          events.push(payload.value.status ? `${payload.$case}:${TaskState[payload.value.status.state]}` : payload.$case);
        }
      })();
      const done = (await client.sendMessage({
        message: dataMessage({ approved: true }, { taskId: answered.id, contextId: answered.contextId }),
      } as never)) as Task;
      await subscription;
      expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(events.at(-1)).toBe("statusUpdate:TASK_STATE_COMPLETED");
      expect((await api("GET", `/requests/${answered.metadata?.requestId}`)).body.status).toBe("replied");

      expect((await client.cancelTask({ id: cancelled.id } as never)).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      expect((await api("GET", `/requests/${cancelled.metadata?.requestId}`)).body.status).toBe("cancelled");
      expect(await taskHolders("approver", cancelled.id)).toEqual([shardOf(cancelled)]);

      // ListTasks pages through every shard: each task once, however small the pages.
      const listed: string[] = [];
      let pageToken = "";
      for (let page = 0; page < 20; page++) {
        const res = await api("POST", "/a2a/approver", {
          body: { jsonrpc: "2.0", id: page, method: "ListTasks", params: { pageSize: 3, ...(pageToken ? { pageToken } : {}) } },
          headers: { "a2a-version": "1.0" },
        });
        expect(res.body.result.totalSize).toBe(tasks.length);
        listed.push(...res.body.result.tasks.map((t: { id: string }) => t.id));
        pageToken = res.body.result.nextPageToken;
        if (!pageToken) break;
      }
      expect(listed.sort()).toEqual(tasks.map((t) => t.id).sort());
    } finally {
      await api("DELETE", "/agents/approver");
    }
  });
});

describe("a sharded agent's ListTasks", () => {
  type Listed = { id: string; status: { timestamp: string } };
  const rpc = (name: string, id: number | string, method: string, params: unknown) =>
    api("POST", `/a2a/${name}`, { body: { jsonrpc: "2.0", id, method, params }, headers: { "a2a-version": "1.0" } });
  /** Every page of a listing, checking what each page says of the whole; `between` runs after the first page. */
  async function listAll(name: string, params: Record<string, unknown>, pageSize: number, between?: () => Promise<void>) {
    const ids: string[] = [];
    let pageToken = "";
    for (let page = 0; page < 30; page++) {
      const res = await rpc(name, page, "ListTasks", { ...params, pageSize, ...(pageToken ? { pageToken } : {}) });
      expect(res.body.result.pageSize).toBe(pageSize);
      expect(res.body.result.tasks.length).toBeLessThanOrEqual(pageSize);
      ids.push(...res.body.result.tasks.map((t: Listed) => t.id));
      pageToken = res.body.result.nextPageToken;
      if (page === 0) await between?.();
      if (!pageToken) return { ids, totalSize: res.body.result.totalSize as number };
    }
    throw new Error("ListTasks did not end within 30 pages");
  }

  it("is one order over the shards, most recently updated first, and a page token survives a new task", { timeout: 90_000 }, async () => {
    const name = uniqueName("listed-sharded");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: SHARDS } })).status).toBe(200);
    const contextId = crypto.randomUUID();
    const send = async (i: number, context = contextId) => {
      const sent = await rpc(name, i, "SendMessage", {
        message: { messageId: crypto.randomUUID(), contextId: context, role: "ROLE_USER", parts: [{ text: `task ${i}` }] },
      });
      return sent.body.result.task.id as string;
    };
    // Tasks made one after another land on shards by their ids' hashes, interleaved in time; more
    // are made (a bounded number) until the global order is not simply one shard after another.
    const made: string[] = [];
    const byUpdate = async () => {
      const tasks = await Promise.all(made.map(async (id) => (await rpc(name, id, "GetTask", { id })).body.result as Listed));
      // The A2A order: last update (status timestamp) most recent first; ties by id, descending.
      return tasks.sort((a, b) =>
        a.status.timestamp === b.status.timestamp ? b.id.localeCompare(a.id) : b.status.timestamp.localeCompare(a.status.timestamp),
      );
    };
    let expected: string[] = [];
    for (let i = 0; i < 16; i++) {
      made.push(await send(i));
      if (made.length < 7) continue;
      expected = (await byUpdate()).map((t) => t.id);
      const shardOf = new Map(await Promise.all(made.map(async (id) => [id, (await taskHolders(name, id))[0]] as const)));
      const shardByShard = [...expected].sort((a, b) => (shardOf.get(a) ?? 0) - (shardOf.get(b) ?? 0));
      if (new Set(shardOf.values()).size > 1 && shardByShard.join() !== expected.join()) break;
    }
    expect(expected).toHaveLength(made.length);
    const other = await send(99, crypto.randomUUID());

    try {
      for (const size of [2, 3]) {
        const listed = await listAll(name, { contextId }, size);
        expect(listed.ids).toEqual(expected);
        expect(listed.totalSize).toBe(made.length);
      }
      // Without the filter the other context's task is there too, newest of all.
      const all = await listAll(name, {}, 3);
      expect(all.ids).toEqual([other, ...expected]);
      expect(all.totalSize).toBe(made.length + 1);

      // A task arriving between pages is newer than the token's position: the older ones still
      // come each exactly once, and a fresh listing starts with the new one.
      let arrived = "";
      const resumed = await listAll(name, { contextId }, 2, async () => {
        arrived = await send(100);
      });
      expect(resumed.ids).toEqual(expected);
      expect((await listAll(name, { contextId }, 3)).ids).toEqual([arrived, ...expected]);

      const bad = await rpc(name, "bad", "ListTasks", { pageSize: 2, pageToken: "not-a-token" });
      expect(bad.body.error.code).toBe(-32602);
      expect(bad.body.error.message).toContain("pageToken");
    } finally {
      await api("DELETE", `/agents/${name}`);
    }
  });
});

describe("a sharded agent's request on a shard other than home", () => {
  it("is listed while it waits for input, streams from its shard, and is answered there", { timeout: 60_000 }, async () => {
    expect((await api("PUT", "/agents/approver", { body: { shards: SHARDS } })).body.shards).toBe(SHARDS);
    try {
      // The first answer tells this isolate the shard count, so the next requests spread.
      const ask = (i: number) => api("POST", "/agents/approver/messages", { body: { content: { item: `desk ${i}`, amount: 2000 + i } } });
      const ids = [(await ask(0)).body.request_id as string];
      for (let i = 1; i < 20 && ids.every((id) => requestAddress(id)?.shard === 0); i++) ids.push((await ask(i)).body.request_id);
      const away = ids.find((id) => requestAddress(id)?.shard !== 0) as string;
      expect(away).toBeDefined();
      expect((await settled(away, ["input_required"])).status).toBe("input_required");

      const waiting = await api("GET", "/agents/approver/requests?status=input_required&limit=100");
      expect(waiting.status).toBe(200);
      expect(waiting.body.requests.map((r: { request_id: string }) => r.request_id)).toEqual(expect.arrayContaining(ids));

      // Its stream is kept by its shard: the events so far, then the live tail (read the first chunk, then leave).
      const stream = await exports.default.fetch(
        new Request(`http://switchboard.test/requests/${away}/stream`, { headers: { authorization: `Bearer ${KEYS.admin}` } }),
      );
      expect(stream.status).toBe(200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain("event:");
      await reader.cancel();

      expect((await api("POST", `/requests/${away}/input`, { body: { content: { approved: true } } })).status).toBe(202);
      const done = await settled(away, ["replied"]);
      expect(done.reply.content).toMatchObject({ status: "approved", item: expect.stringContaining("desk") });
    } finally {
      await api("DELETE", "/agents/approver");
    }
  });
});

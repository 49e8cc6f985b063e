import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Call, makeEnvelope } from "../../lib/message/call";
import { agentRef } from "../../lib/agents/agent-ref";
import { agentObjectStub, batchItems, runDeadlineNow, seedInflightBatchItem } from "../support/agent-storage";
import { api, eventually, modelServer, modelServerCalls, settled, uniqueName } from "../support/api";

interface LogEntry {
  id: string;
  pattern: string;
  outcome: string;
  detail: string | null;
  preview: string | null;
}

async function batchAgent(name: string, batch: { size: number; timeout_ms?: number }, model: Record<string, unknown> = {}): Promise<void> {
  const put = await api("PUT", `/agents/${name}`, { body: { kind: "model", model, batch: { timeout_ms: 60_000, ...batch }, limits: { timeout_ms: 90_000 } } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}

function remote(name: string, ...modifiers: string[]) {
  return { provider: "openai-compatible", base_url: modelServer(name, ...modifiers), model: "batch-model" };
}

function invoke(name: string, content: unknown) {
  return api("POST", `/agents/${name}/invoke`, { body: { content } });
}

/** The log rows of each flush (one per model call), oldest first. */
async function flushes(name: string): Promise<LogEntry[]> {
  const log = await api("GET", `/agents/${name}/log?limit=200`);
  return (log.body.entries as LogEntry[]).filter((e) => e.pattern === "batch" && e.id.startsWith("bat_")).reverse();
}

async function pending(name: string): Promise<number> {
  return (await batchItems(name)).pending;
}

/** Waits (bounded) until `total` items reached the agent and `waiting` of them sit in its buffer. */
async function buffered(name: string, total: number, waiting: number): Promise<void> {
  const reached = await eventually(
    async () => {
      const now = await batchItems(name);
      return now.total === total && now.pending === waiting ? now : undefined;
    },
    3000,
    `${total} items with ${waiting} buffered`,
    10,
  ).catch(() => batchItems(name));
  expect(reached).toEqual({ total, pending: waiting });
}

/** Makes the buffer's deadline due now and runs the alarm, as time passing would. */
const fireBatchDeadline = (name: string) => runDeadlineNow(name, "batch");

describe("batching model agents", () => {
  it("flush when the buffer reaches batch.size: one model call, each caller its own answer", async () => {
    const name = uniqueName("batch-size");
    await batchAgent(name, { size: 3 }, remote(name));
    const replies = await Promise.all(["one", "two", "three"].map((c) => invoke(name, c)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies.map((r) => r.body.content)).toEqual(["remote:one", "remote:two", "remote:three"]);
    expect(replies.map((r) => r.body.metadata.batch.position).sort()).toEqual([1, 2, 3]);
    expect(new Set(replies.map((r) => r.body.metadata.batch.id)).size).toBe(1);
    const calls = await modelServerCalls(name);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body.response_format).toMatchObject({ type: "json_schema" });
    const [row] = await flushes(name);
    expect(row?.detail).toMatch(/^batch size=3 trigger=size waited_ms=\d+ model_ms=\d+ answered=3 retried=0 failed=0$/);
  });

  it("flush the rest when the oldest entry reaches batch.timeout_ms: ⌈n/size⌉ model calls", async () => {
    const name = uniqueName("batch-timeout");
    await batchAgent(name, { size: 3 }, remote(name));
    const inputs = ["a", "b", "c", "d", "e", "f", "g"];
    const replies = Promise.all(inputs.map((c) => invoke(name, c)));
    await buffered(name, inputs.length, 1);
    expect(await fireBatchDeadline(name)).toBe(true);
    const done = await replies;
    expect(done.map((r) => r.body.content)).toEqual(inputs.map((c) => `remote:${c}`));
    expect(await modelServerCalls(name)).toHaveLength(3);
    const rows = await flushes(name);
    expect(
      rows.map((r) =>
        r.detail
          ?.match(/size=(\d+) trigger=(\w+)/)
          ?.slice(1)
          .join(" "),
      ),
    ).toEqual(["3 size", "3 size", "1 timeout"]);
  });

  it("answer concurrent sync callers with their own results even when the model reorders them", async () => {
    const name = uniqueName("batch-order");
    await batchAgent(name, { size: 5 }, remote(name, "reversed"));
    const inputs = ["apple", "banana", "cherry", "damson", "elder"];
    const replies = await Promise.all(inputs.map((c) => invoke(name, c)));
    expect(replies.map((r) => r.body.content)).toEqual(inputs.map((c) => `remote:${c}`));
    expect(await modelServerCalls(name)).toHaveLength(1);
  });

  it("retry an item the model skipped once, then fail only that item", async () => {
    const name = uniqueName("batch-partial");
    await batchAgent(name, { size: 3 }, remote(name, "partial"));
    const replies = await Promise.all(["x", "y", "z"].map((c) => invoke(name, c)));
    const failed = replies.filter((r) => r.status !== 200);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toBe(502);
    expect(failed[0]?.body.code).toBe("agent_error");
    expect(failed[0]?.body.detail).toMatch(/model gave no result for item 1 .*after 2 model calls/);
    for (const [i, r] of replies.entries()) if (r.status === 200) expect(r.body.content).toBe(`remote:${["x", "y", "z"][i]}`);
    const calls = await modelServerCalls(name);
    expect(calls).toHaveLength(2);
    const rows = await flushes(name);
    expect(rows[0]?.detail).toContain("size=3 trigger=size");
    expect(rows[0]?.detail).toContain("answered=2 retried=1 failed=0");
    expect(rows[1]?.detail).toContain("size=1 trigger=retry");
    expect(rows[1]?.detail).toContain("answered=0 retried=0 failed=1");
  });

  it("never hand an item an answer given twice for its number", async () => {
    const name = uniqueName("batch-dup");
    await batchAgent(name, { size: 2 }, remote(name, "duplicate"));
    const replies = await Promise.all(["first", "second"].map((c) => invoke(name, c)));
    for (const r of replies) expect(r.body.content ?? null).not.toBe("remote:someone else's answer");
    expect(replies.filter((r) => r.status === 200).map((r) => r.body.content)).toEqual(["remote:second"]);
  });

  it("fail every item of a malformed answer after one retry, as agent_error", async () => {
    const name = uniqueName("batch-garbled");
    await batchAgent(name, { size: 2 }, remote(name, "malformed"));
    const replies = await Promise.all(["p", "q"].map((c) => invoke(name, c)));
    expect(replies.map((r) => r.status)).toEqual([502, 502]);
    expect(replies[0]?.body.detail).toContain("not valid batch JSON");
    expect(await modelServerCalls(name)).toHaveLength(2);
  });

  it("fail the whole batch when the model call fails, through the breaker", async () => {
    const name = uniqueName("batch-down");
    await batchAgent(name, { size: 2 }, remote(name, "status-500"));
    const replies = await Promise.all(["p", "q"].map((c) => invoke(name, c)));
    expect(replies.map((r) => r.body.code)).toEqual(["agent_error", "agent_error"]);
    expect((await flushes(name))[0]).toMatchObject({ outcome: "agent_error" });
    expect((await api("GET", `/agents/${name}`)).body.status.breaker).toBe("closed");
  });

  it("work on the local model, deterministically", async () => {
    const name = uniqueName("batch-local");
    await batchAgent(name, { size: 4 }, { model: "local-sentiment" });
    const inputs = ["love it", "it crashes", "meh", "great, thanks"];
    const replies = await Promise.all(inputs.map((c) => invoke(name, c)));
    expect(replies.map((r) => r.body.content)).toEqual(["positive", "negative", "neutral", "positive"]);
    expect(replies[0]?.body.metadata.model).toBe("local:local-sentiment");
  });
});

describe("batching async messages", () => {
  it("batches queue deliveries with sync calls, and each request gets its own reply", async () => {
    const name = uniqueName("batch-async");
    await batchAgent(name, { size: 3 }, remote(name));
    const accepted = await Promise.all(["async-1", "async-2"].map((content) => api("POST", `/agents/${name}/messages`, { body: { content } })));
    expect(accepted.map((r) => r.status)).toEqual([202, 202]);
    const sync = await invoke(name, "sync-3");
    expect(sync.body.content).toBe("remote:sync-3");
    const states = await Promise.all(accepted.map((r) => settled(r.body.request_id)));
    expect(states.map((s) => [s.status, s.reply?.content])).toEqual([
      ["replied", "remote:async-1"],
      ["replied", "remote:async-2"],
    ]);
    expect(await modelServerCalls(name)).toHaveLength(1);
  });
});

describe("batching across eviction", () => {
  it("keeps the buffer, flushes it from the alarm, logs the results and serves a redelivery from storage", async () => {
    const name = uniqueName("batch-evict");
    await batchAgent(name, { size: 5 });
    const message = makeEnvelope({ from: null, to: name, role: "agent_call", content: "survive eviction", metadata: { request_id: `req_${name}_1` } });
    const call: Call = { message, deadline: Date.now() + 200, path: [], pattern: "async" };
    // The first delivery gives up before any flush; its item stays buffered.
    const first = await agentRef(env, name).invoke(call);
    expect(first).toMatchObject({ ok: false, code: "timeout" });
    expect(await pending(name)).toBe(1);
    await evictDurableObject(agentObjectStub(name));
    expect(await fireBatchDeadline(name)).toBe(true);
    expect(await pending(name)).toBe(0);
    const log = (await api("GET", `/agents/${name}/log?limit=20`)).body.entries as LogEntry[];
    expect(log.find((e) => e.id === `req_${name}_1`)).toMatchObject({ pattern: "batch", outcome: "ok", preview: "survive eviction" });
    expect((await flushes(name))[0]?.detail).toContain("size=1 trigger=timeout");
    // A redelivery of the same request gets the stored result without another model call.
    const again = await agentRef(env, name).invoke({ ...call, deadline: Date.now() + 5000 });
    expect(again.ok && again.reply.content).toBe("survive eviction");
    expect(await flushes(name)).toHaveLength(1);
  });

  it("puts items that were in a model call at eviction back in the buffer and flushes them at once", async () => {
    const name = uniqueName("batch-midcall");
    await batchAgent(name, { size: 5 });
    // The state a model call in progress leaves behind: its items marked inflight.
    await seedInflightBatchItem(name, "msg_midcall", "interrupted");
    await evictDurableObject(agentObjectStub(name));
    // The new instance re-buffers the item and sets its deadline to now; the alarm may already have run.
    await runDurableObjectAlarm(agentObjectStub(name));
    const row = await eventually(async () => {
      const log = (await api("GET", `/agents/${name}/log?limit=10`)).body.entries as LogEntry[];
      return log.find((e) => e.id === "msg_midcall");
    });
    expect(row).toMatchObject({ outcome: "ok", preview: "interrupted" });
    expect(await batchItems(name)).toEqual({ total: 1, pending: 0 });
    expect((await flushes(name))[0]?.detail).toContain("size=1 trigger=timeout");
  });
});

/**
 * A streaming invoke (`Accept: text/event-stream`) with `idempotency_key`: the first call streams and
 * keeps its reply under the key; a retry, streaming or not, answers with that reply and the handler
 * runs once (durable-objects/agent/keyed-calls.ts). The remote agents here answer with how many
 * calls they have had, so a second run would show in the reply itself.
 */
import { describe, expect, it } from "vitest";
import { type Call, makeEnvelope } from "../../lib/message/call";
import { idempotencyScope } from "../../lib/protocols/request-store";
import { keyShard } from "../../lib/registry/shards";
import { streamHome } from "../../lib/streams/stream-id";
import { agentObjectStub } from "../support/agent-storage";
import { api, arrived, holdingAgent, inboundRow, invokeStream, received, release, testServer, uniqueName } from "../support/api";
import { EventReader, type SseEvent } from "../support/sse";

async function remoteAgent(path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName("keyed-stream");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/${path}/${name}`, ...extra } });
  expect(res.status).toBe(200);
  return name;
}

/** A streaming invoke's answer: its status, whether it says it is replayed, and every event. */
async function streamed(name: string, body: Record<string, unknown>): Promise<{ status: number; replayed: string | null; events: SseEvent[] }> {
  const res = await invokeStream(name, body);
  const replayed = res.headers.get("idempotent-replayed");
  if (res.status !== 200) return { status: res.status, replayed, events: [] };
  return { status: res.status, replayed, events: await new EventReader(res).all() };
}

const kinds = (events: SseEvent[]) => events.map((e) => e.event);
const replyOf = (events: SseEvent[]) => events.find((e) => e.event === "reply")?.data as { content: unknown; metadata: Record<string, unknown> };
const startOf = (events: SseEvent[]) => events.find((e) => e.event === "start")?.data as { stream_id: string; message_id: string };

describe("a streaming invoke with an idempotency key", () => {
  it("answers a streaming retry with a new stream of the first call's reply, says so, and runs the handler once", async () => {
    const name = await remoteAgent("ok");
    const first = await streamed(name, { content: "charge 5", idempotency_key: "charge-1" });
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(kinds(first.events).at(-1)).toBe("reply");
    expect(replyOf(first.events).content).toEqual({ echoed: "charge 5", calls: 1 });

    const retry = await streamed(name, { content: "charge 5", idempotency_key: "charge-1" });
    expect(retry.status).toBe(200);
    expect(retry.replayed).toBe("true");
    expect(kinds(retry.events)).toEqual(["start", "reply"]);
    expect(replyOf(retry.events)).toEqual(replyOf(first.events));
    // A stream of its own: resumable by its id like any other.
    expect(startOf(retry.events).stream_id).not.toBe(startOf(first.events).stream_id);
    expect(startOf(retry.events).message_id).not.toBe(startOf(first.events).message_id);

    // The keys are the sync calls' own: a sync retry gets the same reply.
    const sync = await api("POST", `/agents/${name}/invoke`, { body: { content: "charge 5", idempotency_key: "charge-1" } });
    expect(sync.status).toBe(200);
    expect(sync.headers.get("idempotent-replayed")).toBe("true");
    expect(sync.body).toEqual(replyOf(first.events));
    expect(await received(name)).toHaveLength(1);
    expect((await inboundRow(name, "duplicate")).detail).toContain("idempotency_key");
  });

  it("answers a streaming retry of a sync call with that call's reply", async () => {
    const name = await remoteAgent("ok");
    const sync = await api("POST", `/agents/${name}/invoke`, { body: { content: "ship it", idempotency_key: "ship-1" } });
    expect(sync.status).toBe(200);
    const retry = await streamed(name, { content: "ship it", idempotency_key: "ship-1" });
    expect(retry.replayed).toBe("true");
    expect(kinds(retry.events)).toEqual(["start", "reply"]);
    expect(replyOf(retry.events)).toEqual(sync.body);
    expect(await received(name)).toHaveLength(1);
  });

  it("a retry sent while the first call still streams waits for its answer: one run, one reply", async () => {
    const { name, key } = await holdingAgent();
    const first = new EventReader(await invokeStream(name, { content: "hold", idempotency_key: "held-1" }));
    expect((await first.next())?.event).toBe("start");
    await arrived(key);
    const retry = streamed(name, { content: "hold", idempotency_key: "held-1" });
    const syncRetry = api("POST", `/agents/${name}/invoke`, { body: { content: "hold", idempotency_key: "held-1" } });
    await release(key);
    const firstEvents = await first.all();
    const [again, sync] = await Promise.all([retry, syncRetry]);
    expect(replyOf(first.seen).content).toBe(`released ${key}`);
    expect(kinds(firstEvents).at(-1)).toBe("reply");
    expect(again.replayed).toBe("true");
    expect(replyOf(again.events)).toEqual(replyOf(first.seen));
    expect(sync.status).toBe(200);
    expect(sync.body).toEqual(replyOf(first.seen));
    expect(await received(key)).toHaveLength(1);
  });

  it("keeps only a reply: after a first stream that ended in an error, the retry runs again", async () => {
    const name = await remoteAgent("flaky/1");
    const first = await streamed(name, { content: "try", idempotency_key: "flaky-1" });
    expect(first.status).toBe(200);
    expect(kinds(first.events).at(-1)).toBe("error");
    const retry = await streamed(name, { content: "try", idempotency_key: "flaky-1" });
    expect(retry.replayed).toBeNull();
    expect(kinds(retry.events).at(-1)).toBe("reply");
    expect(await received(name)).toHaveLength(2);
    // From now on the reply is kept.
    expect((await streamed(name, { content: "try", idempotency_key: "flaky-1" })).replayed).toBe("true");
    expect(await received(name)).toHaveLength(2);
  });

  it("a first call that asked for input waits under the key: every retry, streaming or not, answers with that request", async () => {
    const key = `expense-${crypto.randomUUID()}`;
    const body = { content: { item: "desk", amount: 700 }, idempotency_key: key };
    const first = await streamed("approver", body);
    expect(kinds(first.events)).toEqual(["start", "step", "reply"]);
    const requestId = first.events[1]?.data.request_id as string;
    expect(first.events[1]?.data).toMatchObject({ type: "input_required", status: "input_required", status_url: `/requests/${requestId}` });

    const retry = await streamed("approver", body);
    expect(retry.replayed).toBe("true");
    expect(kinds(retry.events)).toEqual(["start", "step", "reply"]);
    expect(retry.events[1]?.data).toEqual(first.events[1]?.data);
    expect(replyOf(retry.events).metadata).toMatchObject({ request_id: requestId, input_required: { question: "Approve 700 for desk?" } });
    const sync = await api("POST", "/agents/approver/invoke", { body });
    expect(sync.status).toBe(202);
    expect(sync.body.request_id).toBe(requestId);
    expect((await api("DELETE", `/requests/${requestId}`)).body.status).toBe("cancelled");
  });

  it("is a 409 conflict, with no stream, when the key names an async request still on its way", async () => {
    const { name, key } = await holdingAgent();
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "async", idempotency_key: "both-1" } });
    expect(sent.status).toBe(202);
    await arrived(key);
    const res = await invokeStream(name, { content: "stream", idempotency_key: "both-1" });
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toContain(sent.body.request_id);
    await release(key);
  });

  it("lives on the shard its key names on a sharded agent, even when the call reaches another shard first", async () => {
    const shards = 4;
    const name = await remoteAgent("ok", { shards });
    let key = "";
    for (let i = 0; key === "" || keyShard(idempotencyScope(null, key), shards) === 0; i++) key = `order-${i}`;
    const owner = keyShard(idempotencyScope(null, key), shards);
    const first = await streamed(name, { content: "once", idempotency_key: key });
    expect(streamHome(startOf(first.events).stream_id)?.shard).toBe(owner);
    // As a Worker whose shard hint is stale sends it: to home, which passes it on.
    const call: Call = {
      message: makeEnvelope({ from: null, to: name, role: "agent_call", content: "once" }),
      deadline: Date.now() + 30_000,
      path: [],
      pattern: "invoke",
    };
    const opened = await agentObjectStub(name, 0).invokeStreamKeyed(call, { key, timeout_ms: null });
    expect(opened).toMatchObject({ ok: true, replayed: true, shards });
    if (!opened.ok) return;
    expect(streamHome(opened.stream_id)?.shard).toBe(owner);
    const events = await new EventReader(new Response(opened.body)).all();
    expect(kinds(events)).toEqual(["start", "reply"]);
    expect(replyOf(events)).toEqual(replyOf(first.events));
    expect(await received(name)).toHaveLength(1);
  });
});

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index";
import { newRequestId } from "../../lib/message/ids";
import { REQUEST_RETENTION_MS } from "../../lib/protocols/request-store";
import { runDeadlineNow, seedFinishedRequest, seedQueuedRequest, storesRequest } from "../support/agent-storage";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";

async function remoteAgent(path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName("remote");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/${path}/${name}`, limits: { retry_delay_ms: 0 }, ...extra } });
  expect(res.status).toBe(200);
  return name;
}

describe("POST /agents/:name/messages", () => {
  it("answers 202 at once and delivers through the queue", async () => {
    const res = await api("POST", "/agents/echo/messages", { body: { content: { n: 1 } } });
    expect(res.status).toBe(202);
    expect(res.body.request_id).toMatch(/^req_echo_/);
    expect(res.body.status_url).toBe(`/requests/${res.body.request_id}`);
    const state = await settled(res.body.request_id);
    expect(state).toMatchObject({
      status: "replied",
      attempts: 1,
      reply: { role: "reply", content: { n: 1 }, metadata: { in_reply_to: res.body.request_id } },
    });
  });

  it("retries transient failures with backoff, then succeeds", async () => {
    const name = await remoteAgent("flaky/2");
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "try" } });
    const state = await settled(res.body.request_id);
    expect(state).toMatchObject({ status: "replied", attempts: 3 });
    expect(await received(name)).toHaveLength(3);
  });

  it("does not retry a permanent failure, and keeps it where a person can see it", async () => {
    const name = await remoteAgent("status/400");
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "bad" } });
    const state = await settled(res.body.request_id);
    expect(state).toMatchObject({ status: "failed", attempts: 1, error: { code: "agent_error" } });
    expect(await received(name)).toHaveLength(1);
    const dlq = await eventually(async () => {
      const page = await api("GET", `/dlq?agent=${name}`);
      return page.body.entries.length > 0 ? page.body : undefined;
    });
    expect(dlq.entries[0]).toMatchObject({ agent: name, attempts: 1, error: { code: "agent_error" }, message: { content: "bad" } });
  });

  it("runs the handler once for the same idempotency key", async () => {
    const name = await remoteAgent("ok");
    const body = { content: "once", idempotency_key: "order-42" };
    const first = await api("POST", `/agents/${name}/messages`, { body });
    const second = await api("POST", `/agents/${name}/messages`, { body });
    expect(second.body.request_id).toBe(first.body.request_id);
    await settled(first.body.request_id);
    // Another caller's identical key is a different request: keys are scoped to the sender.
    const other = await api("POST", `/agents/${name}/messages`, { as: "planner", body });
    expect(other.body.request_id).not.toBe(first.body.request_id);
    await settled(other.body.request_id);
    expect(await received(name)).toHaveLength(2);
  });

  it("stores requests that arrive together each as its own, and one key sent twice at once as one", async () => {
    const name = await remoteAgent("ok");
    const keyed = { content: "keyed", idempotency_key: "order-7" };
    const sent = await Promise.all([
      ...[1, 2, 3, 4].map((n) => api("POST", `/agents/${name}/messages`, { body: { content: n } })),
      api("POST", `/agents/${name}/messages`, { body: keyed }),
      api("POST", `/agents/${name}/messages`, { body: keyed }),
    ]);
    expect(sent.map((res) => res.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const ids = sent.map((res) => res.body.request_id as string);
    expect(ids[5]).toBe(ids[4]);
    expect(new Set(ids).size).toBe(5);
    for (const id of new Set(ids)) expect(await settled(id)).toMatchObject({ status: "replied", attempts: 1 });
    expect(await received(name)).toHaveLength(5);
  });

  it("ignores queue redelivery of a request that was already answered", async () => {
    const name = await remoteAgent("ok");
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "x" } });
    await settled(res.body.request_id);
    const body = { kind: "deliver", agent: name, request_id: res.body.request_id };
    const batch = createMessageBatch("switchboard-deliveries", [
      { id: "dup-1", timestamp: new Date(), attempts: 2, body },
      { id: "dup-2", timestamp: new Date(), attempts: 2, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["dup-1", "dup-2"]);
    expect(result.retryMessages).toEqual([]);
    expect(await received(name)).toHaveLength(1);
    expect((await api("GET", `/requests/${res.body.request_id}`)).body.attempts).toBe(1);
  });

  it("delivers a batch's requests of one object in one call, and acks or retries each message by its own outcome", async () => {
    const name = await remoteAgent("ok");
    const failing = await remoteAgent("status/503");
    const [ok, broken, gone, refused] = [newRequestId(name), newRequestId(name), newRequestId(name), newRequestId(failing)];
    await seedQueuedRequest(name, ok, "fine");
    await seedQueuedRequest(name, broken, "unreadable", { unreadable: true });
    await seedQueuedRequest(failing, refused, "refused");
    const deliver = (id: string, agent: string, request_id: string) => ({
      id,
      timestamp: new Date(),
      attempts: 1,
      body: { kind: "deliver", agent, request_id },
    });
    const batch = createMessageBatch("switchboard-deliveries", [
      deliver("m-ok", name, ok),
      deliver("m-broken", name, broken),
      deliver("m-gone", name, gone),
      deliver("m-refused", failing, refused),
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    // Delivered, and no such request: acked. The row that throws is retried (the consumer's own
    // backoff), the agent that answered 503 by its retry decision; neither holds back the others.
    expect(result.explicitAcks.sort()).toEqual(["m-gone", "m-ok"]);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(["m-broken", "m-refused"]);
    expect((await api("GET", `/requests/${ok}`)).body).toMatchObject({ status: "replied", attempts: 1, reply: { content: { echoed: "fine" } } });
    expect((await api("GET", `/requests/${refused}`)).body).toMatchObject({ status: "pending", attempts: 1, error: { code: "agent_error" } });
    expect(await received(name)).toHaveLength(1);
  });

  it("POSTs the reply to a reply_to URL, signed with Standard Webhooks", async () => {
    const key = uniqueName("sink");
    const res = await api("POST", "/agents/echo/messages", { body: { content: "signed", reply_to: `${testServer()}/ok/${key}` } });
    await settled(res.body.request_id);
    const [call] = await eventually(async () => {
      const calls = await received(key);
      return calls.length > 0 ? calls : undefined;
    });
    const webhook = new Webhook(env.SWITCHBOARD_SIGNING_SECRET);
    const verified = webhook.verify(call!.body, call!.headers) as { role: string; content: string; metadata: { in_reply_to: string } };
    expect(verified).toMatchObject({ role: "reply", content: "signed", metadata: { in_reply_to: res.body.request_id } });
    expect(() => webhook.verify(call!.body.replace("signed", "forged"), call!.headers)).toThrow();
  });

  it("delivers a reply to a reply_to agent as a reply message", async () => {
    const res = await api("POST", "/agents/echo/messages", { body: { content: "for summarizer", reply_to: "summarizer" } });
    await settled(res.body.request_id);
    const row = await eventually(async () => {
      const log = await api("GET", "/agents/summarizer/log?limit=50");
      return log.body.entries.find((e: { request_id: string; role: string }) => e.request_id === res.body.request_id && e.role === "reply");
    });
    expect(row).toMatchObject({ direction: "in", from: "echo", pattern: "reply" });
  });
});

describe("retention", () => {
  it("drops a request finished before the retention period once its agent's sweep runs, off the path of any POST", async () => {
    const name = await remoteAgent("ok");
    const old = newRequestId(name);
    await seedFinishedRequest(name, old, Date.now() - REQUEST_RETENTION_MS - 1000);
    // The first request stored arms the sweep; its 202 never waits for one.
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "new" } });
    expect(sent.status).toBe(202);
    await settled(sent.body.request_id);
    expect(await storesRequest(name, 0, old)).toBe(true);
    expect(await runDeadlineNow(name, "retention")).toBe(true);
    expect(await storesRequest(name, 0, old)).toBe(false);
    expect((await api("GET", `/requests/${sent.body.request_id}`)).body.status).toBe("replied");
  });
});

describe("large replies", () => {
  it("delivers a reply bigger than a queue message (128 KB) to its reply_to agent, by reference", async () => {
    const big = "x".repeat(200 * 1024);
    const res = await api("POST", "/agents/echo/messages", { body: { content: big, reply_to: "summarizer" } });
    expect(res.status).toBe(202);
    await settled(res.body.request_id);
    const row = await eventually(async () => {
      const log = await api("GET", "/agents/summarizer/log?limit=50");
      return log.body.entries.find((e: { request_id: string; role: string }) => e.request_id === res.body.request_id && e.role === "reply");
    });
    expect(row).toMatchObject({ from: "echo", pattern: "reply" });
    expect(row.preview.startsWith("xxxx")).toBe(true);
  });
});

describe("bad input to /messages changes nothing", () => {
  it.each([
    [{ content: "x", reply_to: "no-such-agent-here" }, 400],
    [{ content: "x", reply_to: "http://10.0.0.7/hook" }, 400],
    [{ content: "x", reply_to: "https://169.254.169.254/latest" }, 400],
    [{ content: "x", reply_to: "ftp://example.com" }, 400],
    [{ content: "x", timeout_ms: -1 }, 400],
    [{ content: "x", idempotency_key: "" }, 400],
    [{ metadata: {} }, 400],
  ])("%j → %i", async (body, status) => {
    const name = await remoteAgent("ok");
    const res = await api("POST", `/agents/${name}/messages`, { body });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe("invalid_request");
    expect(await received(name)).toHaveLength(0);
  });

  it("413s an oversized payload", async () => {
    const res = await api("POST", "/agents/echo/messages", { body: { content: "x".repeat(300 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("payload_too_large");
  });

  it("404s unknown and malformed request ids", async () => {
    for (const id of ["req_echo_0000000000000000000000", "req_echo_1m87ycstnzms9x3n5yktk", "nonsense", "req_Bad_x"]) {
      const res = await api("GET", `/requests/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe("request_not_found");
    }
  });

  it("lets only admin, the sender or the agent read a request", async () => {
    const res = await api("POST", "/agents/echo/messages", { as: "planner", body: { content: "mine" } });
    expect((await api("GET", `/requests/${res.body.request_id}`, { as: "planner" })).status).toBe(200);
    expect((await api("GET", `/requests/${res.body.request_id}`, { as: "summarizer" })).status).toBe(403);
    expect((await api("GET", `/requests/${res.body.request_id}`)).status).toBe(200);
  });
});

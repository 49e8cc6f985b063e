import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index";
import { deadlineAfter } from "../../lib/message/call";
import { type FanoutMessage, planFanout } from "../../lib/patterns/fanout";
import { verifySignature } from "../../lib/security/signing";
import { api, eventually, receivedJson, testServer, uniqueName } from "../support/api";
import { agentObjectStub } from "../support/agent-storage";

async function remoteAgent(prefix: string, config: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix);
  const res = await api("PUT", `/agents/${name}`, { body: { url: `${testServer()}/ok/${name}`, ...config } });
  expect(res.status).toBe(200);
  return name;
}

/** The fan-out messages an event of `observed` makes, built as the Durable Object builds them. */
async function fanoutOf(observed: string, event: string, data: unknown): Promise<FanoutMessage[]> {
  const { observers } = (await api("GET", `/agents/${observed}/observers`)).body;
  const { limits } = (await api("GET", `/agents/${observed}`)).body;
  return planFanout({ observed, event, data, observers, policy: limits }).messages;
}

/** Runs the real fan-out consumer on one batch; answers which bodies were acked and which retried. */
async function consume(bodies: FanoutMessage[], attempts: number) {
  const messages = bodies.map((body, i) => ({ id: `m${i}-${attempts}`, timestamp: Date.now(), attempts, body }));
  const batch = createMessageBatch<FanoutMessage>("switchboard-fanout", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const byId = new Map(messages.map((m) => [m.id, m.body]));
  return {
    acked: result.explicitAcks.map((id) => byId.get(id) as FanoutMessage),
    // (The test batch does not record retry delays; lib/patterns/fanout.test.ts covers the backoff.)
    retried: result.retryMessages.map((r) => ({ body: byId.get(r.msgId) as FanoutMessage })),
  };
}

describe("observers: attach, list, detach", () => {
  it("attaches agent and URL observers idempotently (201, then 200 with the same id)", async () => {
    const observed = await remoteAgent("watched");
    const first = await api("POST", `/agents/${observed}/observers`, { body: { observer: "auditor" } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ agent: observed, observer: "auditor" });
    expect(first.body.id).toMatch(/^obs_/);
    const again = await api("POST", `/agents/${observed}/observers`, { body: { observer: "auditor" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const url = `${testServer()}/ok/${uniqueName("hook")}`;
    const hook = await api("POST", `/agents/${observed}/observers`, { body: { url } });
    expect(hook.status).toBe(201);
    expect((await api("POST", `/agents/${observed}/observers`, { body: { url } })).body.id).toBe(hook.body.id);

    const list = await api("GET", `/agents/${observed}/observers`);
    expect(list.body.observers.map((o: any) => o.observer ?? o.url)).toEqual(["auditor", url]);

    expect((await api("DELETE", `/agents/${observed}/observers/${first.body.id}`)).status).toBe(204);
    expect((await api("DELETE", `/agents/${observed}/observers/${first.body.id}`)).status).toBe(404);
    expect((await api("GET", `/agents/${observed}/observers`)).body.observers).toHaveLength(1);
    // Re-attaching after a detach is a new attachment.
    const back = await api("POST", `/agents/${observed}/observers`, { body: { observer: "auditor" } });
    expect(back.status).toBe(201);
    expect(back.body.id).not.toBe(first.body.id);
  });

  it("validates observers: agent exists, not itself, its ACL accepts the observed agent, URL passes the guard", async () => {
    const observed = await remoteAgent("watched");
    const picky = await remoteAgent("picky", { acl: { allow: ["planner"] } });
    const cases: Array<[unknown, number, string]> = [
      [{ observer: "nobody-observes" }, 404, "agent_not_found"],
      [{ observer: observed }, 400, "invalid_request"],
      [{ observer: picky }, 403, "forbidden"],
      [{ url: "ftp://example.com/x" }, 400, "invalid_request"],
      [{ url: "http://169.254.169.254/latest" }, 400, "invalid_request"],
      [{ observer: "auditor", url: "https://example.com" }, 400, "invalid_request"],
      [{}, 400, "invalid_request"],
    ];
    for (const [body, status, code] of cases) {
      const res = await api("POST", `/agents/${observed}/observers`, { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect((await api("POST", "/agents/nobody-here/observers", { body: { observer: "auditor" } })).status).toBe(404);
    expect((await api("GET", `/agents/${observed}/observers`)).body.observers).toEqual([]);
  });

  it("lets only admin or the observed agent itself manage observers and emit", async () => {
    const asPlanner = await api("POST", "/agents/summarizer/observers", { as: "planner", body: { observer: "auditor" } });
    expect(asPlanner.status).toBe(403);
    expect((await api("POST", "/agents/summarizer/events", { as: "planner", body: { event: "x" } })).status).toBe(403);
    expect((await api("GET", "/agents/summarizer/observers", { as: "planner" })).status).toBe(403);
    const own = await api("POST", "/agents/summarizer/observers", { as: "summarizer", body: { observer: "auditor" } });
    expect([200, 201]).toContain(own.status);
    expect((await api("POST", "/agents/summarizer/events", { as: "summarizer", body: { event: "summarised", data: 1 } })).status).toBe(202);
    expect((await api("DELETE", `/agents/summarizer/observers/${own.body.id}`, { as: "summarizer" })).status).toBe(204);
  });
});

describe("events and fan-out", () => {
  it("POST /events answers 202 at once with the event id and observer count", async () => {
    const observed = await remoteAgent("emitter");
    const none = await api("POST", `/agents/${observed}/events`, { body: { event: "nothing", data: null } });
    expect(none.status).toBe(202);
    expect(none.body).toEqual({ event_id: expect.stringMatching(/^evt_/), observers: 0 });
    await api("POST", `/agents/${observed}/observers`, { body: { observer: "auditor" } });
    const one = await api("POST", `/agents/${observed}/events`, { body: { event: "order.created", data: { order: 42 } } });
    expect(one.status).toBe(202);
    expect(one.body.observers).toBe(1);
    const log = (await api("GET", `/agents/${observed}/log?limit=5`)).body.entries;
    expect(log[0]).toMatchObject({ id: one.body.event_id, direction: "out", role: "event", pattern: "fanout", outcome: "enqueued" });
    expect((await api("POST", `/agents/${observed}/events`, { body: { data: 1 } })).status).toBe(400);
    expect((await api("POST", `/agents/${observed}/events`, { body: { event: "big", data: "x".repeat(100 * 1024) } })).status).toBe(413);
  });

  it("measures event data in bytes: 90,000 × é (180 KB) is refused with 413 and nothing is enqueued (audit: 500)", async () => {
    const observed = await remoteAgent("emitter-bytes");
    const keys = [uniqueName("obs-bytes"), uniqueName("obs-bytes")];
    for (const key of keys) await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/ok/${key}` } });
    const big = await api("POST", `/agents/${observed}/events`, { body: { event: "accented", data: "é".repeat(90_000) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe("payload_too_large");
    // A small event sent after it arrives; the refused one never does.
    expect((await api("POST", `/agents/${observed}/events`, { body: { event: "small", data: 1 } })).status).toBe(202);
    for (const key of keys) {
      const calls = await eventually(async () => {
        const got = await receivedJson(key);
        return got.length > 0 ? got : undefined;
      });
      expect(calls.map((c) => c.body.content.event)).toEqual(["small"]);
    }
  });

  it("fans out to 20 observers where one always fails: it is retried, then dead-lettered; the rest get it exactly once", async () => {
    const observed = await remoteAgent("popular", { limits: { max_retries: 2, retry_delay_ms: 1000 } });
    const okKeys = Array.from({ length: 17 }, () => uniqueName("obs-ok"));
    const failKey = uniqueName("obs-fail");
    const agentObservers = [await remoteAgent("obs-agent"), await remoteAgent("obs-agent")];
    for (const key of okKeys) await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/ok/${key}` } });
    await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/status/500/${failKey}` } });
    for (const name of agentObservers) await api("POST", `/agents/${observed}/observers`, { body: { observer: name } });

    let pending = await fanoutOf(observed, "price.changed", { sku: "a1", price: 9 });
    expect(pending).toHaveLength(20);
    const rounds: Array<{ acked: number; retried: number }> = [];
    for (let attempts = 1; pending.length > 0 && attempts <= 10; attempts++) {
      const { acked, retried } = await consume(pending, attempts);
      rounds.push({ acked: acked.length, retried: retried.length });
      pending = retried.map((r) => r.body);
    }
    // Round 1 acks the 19 good deliveries; the failing one is retried twice (max_retries), then dead-lettered and acked.
    expect(rounds).toEqual([
      { acked: 19, retried: 1 },
      { acked: 0, retried: 1 },
      { acked: 1, retried: 0 },
    ]);
    for (const key of [...okKeys, ...agentObservers]) expect((await receivedJson(key)).length, key).toBe(1);
    expect(await receivedJson(failKey)).toHaveLength(3);

    const [delivery] = await receivedJson(okKeys[0] as string);
    expect(delivery?.body).toMatchObject({ role: "event", from: observed, content: { event: "price.changed", data: { sku: "a1", price: 9 } } });
    expect(() => verifySignature(env.SWITCHBOARD_SIGNING_SECRET, JSON.stringify(delivery?.body), delivery?.headers as Record<string, string>)).not.toThrow();
    // Agent observers got it through their pipeline, from the observed agent, logged as fan-out.
    const agentLog = (await api("GET", `/agents/${agentObservers[0]}/log`)).body.entries;
    expect(agentLog).toEqual([expect.objectContaining({ direction: "in", from: observed, role: "event", pattern: "fanout", outcome: "ok" })]);
    // The give-up is visible in the observed agent's log.
    const observedLog = (await api("GET", `/agents/${observed}/log`)).body.entries;
    expect(observedLog.find((e: any) => e.outcome === "dead_lettered")).toMatchObject({
      pattern: "fanout",
      to: `${testServer()}/status/500/${failKey}`,
      detail: expect.stringContaining("after 3 attempts"),
    });
    // The dead letter reaches the DLQ store with the original fan-out message, ready for replay.
    const entry = await eventually(async () => (await api("GET", `/dlq?agent=${observed}`)).body.entries[0], 10_000, "the dead letter", 100);
    expect(entry).toMatchObject({ agent: observed, queue: "fanout", attempts: 3, error: { code: "agent_error" } });
    expect(entry.message).toMatchObject({ kind: "fanout", observed, url: `${testServer()}/status/500/${failKey}` });
  });

  it("replays a dead-lettered fan-out delivery from the DLQ, through the real queues", async () => {
    const observed = await remoteAgent("replayed", { limits: { max_retries: 0 } });
    const key = uniqueName("obs-flaky");
    await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/flaky/1/${key}` } });
    expect((await api("POST", `/agents/${observed}/events`, { body: { event: "once", data: 1 } })).status).toBe(202);
    const entry = await eventually(async () => (await api("GET", `/dlq?agent=${observed}`)).body.entries[0], 10_000, "the dead letter", 100);
    expect(entry).toMatchObject({ queue: "fanout", attempts: 1 });
    expect((await api("POST", `/dlq/${entry.id}/replay`)).status).toBe(202);
    await eventually(
      async () => ((await api("GET", `/dlq/${entry.id}`)).status === 404 ? true : undefined),
      10_000,
      "the replayed entry to leave the store",
      100,
    );
    const calls = await receivedJson(key);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.headers["webhook-id"]).toBe(calls[0]?.headers["webhook-id"]);
  });

  it("retries an observer that times out without holding up the others in its batch", async () => {
    const observed = await remoteAgent("hurried", { limits: { timeout_ms: 300, max_retries: 1 } });
    const slowKey = uniqueName("obs-slow");
    const fastKey = uniqueName("obs-fast");
    await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/slow/3000/${slowKey}` } });
    await api("POST", `/agents/${observed}/observers`, { body: { url: `${testServer()}/ok/${fastKey}` } });
    const { acked, retried } = await consume(await fanoutOf(observed, "tick", 1), 1);
    expect(acked.map((m) => m.url)).toEqual([`${testServer()}/ok/${fastKey}`]);
    expect(retried.map((r) => r.body.url)).toEqual([`${testServer()}/slow/3000/${slowKey}`]);
  });

  it("dead-letters at once what can never succeed (an observer whose ACL stopped accepting the sender)", async () => {
    const observed = await remoteAgent("shunned");
    const observer = await remoteAgent("fickle");
    await api("POST", `/agents/${observed}/observers`, { body: { observer } });
    await api("PUT", `/agents/${observer}`, { body: { url: `${testServer()}/ok/${observer}`, acl: { allow: ["planner"] } } });
    const { acked, retried } = await consume(await fanoutOf(observed, "tick", 1), 1);
    expect(acked).toHaveLength(1);
    expect(retried).toHaveLength(0);
    expect(await receivedJson(observer)).toHaveLength(0);
    const log = (await api("GET", `/agents/${observed}/log`)).body.entries;
    expect(log[0]).toMatchObject({ outcome: "dead_lettered", detail: expect.stringContaining("forbidden after 1 attempts") });
  });

  it("sends a code agent's events to its onEvent hook", async () => {
    const stub = agentObjectStub("auditor");
    const [message] = planFanout({
      observed: "billing",
      event: "billing.request",
      data: {},
      observers: [{ id: "obs_x", observer: "auditor", created_at: "" }],
      policy: { max_retries: 0, retry_delay_ms: 0, max_retry_delay_ms: 0, timeout_ms: 5000 },
    }).messages;
    const result = await stub.invoke({ message: message?.envelope, deadline: deadlineAfter(null), path: ["billing"], pattern: "fanout" } as never);
    expect(result).toMatchObject({ ok: true, reply: { content: { audited: "billing.request", from: "billing" } } });
  });

  it("ctx.notify from agent code fans out through the real queue", async () => {
    const key = uniqueName("billing-hook");
    const attached = await api("POST", "/agents/billing/observers", { body: { url: `${testServer()}/ok/${key}` } });
    try {
      const res = await api("POST", "/agents/triage/invoke", { body: { content: "charged twice", metadata: { type: "refund" } } });
      expect(res.body.metadata.handled_by).toBe("billing");
      // The queue consumer runs on its own schedule: wait for the delivery, bounded.
      const calls = await eventually(
        async () => {
          const got = await receivedJson(key);
          return got.length > 0 ? got : undefined;
        },
        10_000,
        "the observer's delivery",
        100,
      );
      expect(calls).toHaveLength(1);
      expect(calls[0]?.body).toMatchObject({ from: "billing", role: "event", content: { event: "billing.request", data: { type: "refund" } } });
    } finally {
      await api("DELETE", `/agents/billing/observers/${attached.body.id}`);
    }
  });
});

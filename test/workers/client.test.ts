import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSwitchboardClient, isWaiting, SwitchboardApiError } from "../../lib/client";
import { newTraceparent, traceIdOf } from "../../lib/message/trace";
import { eventually, testServer, uniqueName } from "../support/api";
import { KEYS } from "../support/keys";

/** The client talks to the worker through its real fetch handler, as another Worker would through a binding. */
const workerFetch = (request: Request) => exports.default.fetch(request);
const admin = createSwitchboardClient({ baseUrl: "http://switchboard.test/", apiKey: KEYS.admin, fetch: workerFetch });

async function rejection(promise: Promise<unknown>): Promise<SwitchboardApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SwitchboardApiError);
  return error as SwitchboardApiError;
}

describe("typed client", () => {
  it("pages through a filtered directory: listAgents a page at a time by next_cursor, eachAgent across every page", async () => {
    const prefix = uniqueName("cpg");
    const names = Array.from({ length: 12 }, (_, i) => `${prefix}-${String(i).padStart(2, "0")}`);
    for (const [i, name] of names.entries())
      await admin.putAgent(name, { kind: "http", url: `${testServer()}/ok/${name}`, capabilities: [i % 3 === 0 ? "odd-one" : "translate"] });
    const wanted = names.filter((_, i) => i % 3 !== 0);

    const first = await admin.listAgents({ prefix, capability: "translate", limit: 3 });
    expect(first.agents.map((a) => a.name)).toEqual(wanted.slice(0, 3));
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await admin.listAgents({ prefix, capability: "translate", limit: 3, cursor: first.next_cursor as string });
    expect(second.agents.map((a) => a.name)).toEqual(wanted.slice(3, 6));

    const all: string[] = [];
    for await (const entry of admin.eachAgent({ prefix, capability: "translate", limit: 3 })) all.push(entry.name);
    expect(all).toEqual(wanted);
  });

  it("registers, invokes, reads the log, metrics and the trace of a call", async () => {
    expect(await admin.health()).toMatchObject({ status: "ok" });
    const name = uniqueName("client");
    const entry = await admin.putAgent(name, { kind: "http", url: `${testServer()}/ok/${name}` });
    expect(entry).toMatchObject({ name, kind: "http" });
    expect((await admin.listAgents({ prefix: name })).agents.map((a) => a.name)).toEqual([name]);
    expect((await admin.getAgent(name)).status.breaker).toBe("closed");

    const traceparent = newTraceparent();
    const reply = await admin.invoke(name, { content: "hi", metadata: { type: "greeting" } }, { traceparent });
    expect(isWaiting(reply)).toBe(false);
    if (isWaiting(reply)) return;
    expect(reply.role).toBe("reply");
    expect(traceIdOf(reply.trace.traceparent)).toBe(traceIdOf(traceparent));
    expect((await admin.agentLog(name, 5))[0]).toMatchObject({ direction: "in", outcome: "ok" });
    expect((await admin.agentMetrics(name)).messages[0]?.count).toBe(1);
    const trace = await eventually(async () => {
      const t = await admin.getTrace(traceIdOf(traceparent) as string);
      return t.messages.length ? t : undefined;
    });
    expect(trace.agents).toEqual([name]);
    // GET /metrics reads what agents push, shortly after a change.
    await eventually(async () => ((await admin.metricsText()).includes(`switchboard_messages_total{agent="${name}",outcome="ok"} 1`) ? true : undefined));
    await admin.deleteAgent(name);
  });

  it("sends async messages and polls their request", async () => {
    const accepted = await admin.send("echo", { content: { n: 7 } });
    expect(accepted.status_url).toBe(`/requests/${accepted.request_id}`);
    const state = await eventually(async () => {
      const r = await admin.getRequest(accepted.request_id);
      return r.status === "pending" ? undefined : r;
    });
    expect(state).toMatchObject({ status: "replied", reply: { content: { n: 7 } } });
    expect((await admin.getBreaker("echo")).state).toBe("closed");
    expect((await admin.listDeadLetters({ limit: 5 })).entries).toBeInstanceOf(Array);
    expect(await admin.replayDeadLetters(uniqueName("no-letters"), { limit: 5 })).toMatchObject({ replaying: [], failed: [], remaining: 0 });
    expect(await admin.deleteDeadLetters(uniqueName("no-letters"))).toMatchObject({ deleted: 0, replaying: 0 });
    expect((await admin.openApi()).openapi).toBe("3.1.0");
  });

  it("streams a reply: its events as they come, reply() for the envelope, and resumeStream after a given event", async () => {
    const stream = await admin.invokeStream("narrator", { content: { text: "hello there", agent: "echo" } });
    expect(stream.replayed).toBe(false);
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => [e.id, e.event])).toEqual([
      [1, "start"],
      [2, "delta"],
      [3, "delta"],
      [4, "reply"],
    ]);
    expect(events[0]?.data.stream_id).toBe(stream.streamId);
    expect(events.slice(1, 3).map((e) => e.data.text)).toEqual(["echo: ", "hello there"]);

    const after = await admin.resumeStream(stream.streamId, 2);
    const rest = [];
    for await (const event of after) rest.push(event);
    expect(rest.map((e) => e.id)).toEqual([3, 4]);
    expect((await (await admin.resumeStream(stream.streamId)).reply()).content).toBe("echo: hello there");
    // Seen to its end (the server answers 204): no events, so no reply either.
    const seen = await admin.resumeStream(stream.streamId, 4);
    const none = [];
    for await (const event of seen) none.push(event);
    expect(none).toEqual([]);
    const cut = await rejection((await admin.resumeStream(stream.streamId, 4)).reply());
    expect(cut).toMatchObject({ status: 502, code: "agent_error" });
    expect(cut.message).toContain("ended before its reply");
  });

  it("throws for a stream refused before it starts and for one that ends in an error event; a keyed retry streams the first answer", async () => {
    expect(await rejection(admin.invokeStream("no-such-agent", { content: 1 }))).toMatchObject({ status: 404, code: "agent_not_found" });
    const broken = uniqueName("client-stream-400");
    await admin.putAgent(broken, { kind: "http", url: `${testServer()}/status/400/${broken}` });
    const failing = await admin.invokeStream(broken, { content: "x" });
    expect(await rejection(failing.reply())).toMatchObject({ status: 502, code: "agent_error", transient: true });

    const name = uniqueName("client-stream-key");
    await admin.putAgent(name, { kind: "http", url: `${testServer()}/ok/${name}` });
    const first = await (await admin.invokeStream(name, { content: "once", idempotency_key: "k-1" })).reply();
    const retry = await admin.invokeStream(name, { content: "once", idempotency_key: "k-1" });
    expect(retry.replayed).toBe(true);
    expect(await retry.reply()).toEqual(first);
  });

  it("cancels a stream it reads: reply() throws cancelled, and the agent's log says so", async () => {
    const held = uniqueName("client-held");
    await admin.putAgent(held, { kind: "http", url: `${testServer()}/hold/${held}` });
    const stream = await admin.invokeStream("narrator", { content: { text: "stop", agent: held } });
    await (await fetch(`${testServer()}/_arrived/${held}`)).body?.cancel();
    expect(await stream.cancel()).toEqual({ stream_id: stream.streamId, status: "cancelled" });
    expect(await rejection(stream.reply())).toMatchObject({ status: 499, code: "cancelled" });
    const rows = await eventually(async () => {
      const log = await admin.agentLog(held);
      return log.some((r) => r.outcome === "cancelled") ? log : undefined;
    });
    expect(rows[0]).toMatchObject({ from: "narrator", outcome: "cancelled" });
    // Again, by id: cancelling a cancelled stream is a no-op; an unknown one is 404.
    expect((await admin.cancelStream(stream.streamId)).status).toBe("cancelled");
    expect(await rejection(admin.cancelStream("str_narrator_0_000000000000000000000"))).toMatchObject({ status: 404, code: "stream_not_found" });
  });

  it("answers a request that waits for input, pauses an agent, delays a message and keeps schedules", async () => {
    const asked = await admin.invoke("approver", { content: { item: "lamp", amount: 400 } });
    expect(isWaiting(asked)).toBe(true);
    if (!isWaiting(asked)) return;
    expect(asked).toMatchObject({
      status: "input_required",
      status_url: `/requests/${asked.request_id}`,
      input_required: { question: "Approve 400 for lamp?" },
    });
    expect((await admin.waitingRequests("approver")).map((r) => r.request_id)).toContain(asked.request_id);
    expect(await admin.answerInput(asked.request_id, { approved: true })).toMatchObject({ request_id: asked.request_id, status: "pending" });
    const done = await eventually(async () => {
      const r = await admin.getRequest(asked.request_id);
      return r.status === "replied" ? r : undefined;
    });
    expect(done.reply?.content).toMatchObject({ status: "approved", item: "lamp", by: "admin" });

    const name = uniqueName("client-time");
    await admin.putAgent(name, { kind: "http", url: `${testServer()}/ok/${name}` });
    expect(await admin.pauseAgent(name)).toEqual({ agent: name, paused: true, held: 0 });
    expect(await admin.resumeAgent(name)).toEqual({ agent: name, paused: false, held: 0 });
    const later = await admin.send(name, { content: "later", delay_ms: 3_600_000 });
    expect((await admin.getRequest(later.request_id)).status).toBe("scheduled");
    expect((await admin.cancelRequest(later.request_id)).status).toBe("cancelled");

    const schedule = await admin.createSchedule(name, { every_ms: 60_000, content: "tick" });
    expect(schedule).toMatchObject({ agent: name, every_ms: 60_000, paused: false, content: "tick" });
    expect((await admin.listSchedules(name)).map((x) => x.id)).toEqual([schedule.id]);
    expect((await admin.pauseSchedule(name, schedule.id)).paused).toBe(true);
    expect((await admin.resumeSchedule(name, schedule.id)).paused).toBe(false);
    expect((await admin.getSchedule(name, schedule.id)).id).toBe(schedule.id);
    await admin.deleteSchedule(name, schedule.id);
    expect(await admin.listSchedules(name)).toEqual([]);
    expect(await rejection(admin.getSchedule(name, schedule.id))).toMatchObject({ status: 404, code: "schedule_not_found" });
  });

  it("throws SwitchboardApiError carrying the problem code, status and retry-after", async () => {
    const missing = await rejection(admin.invoke("no-such-agent", { content: 1 }));
    expect(missing).toMatchObject({ status: 404, code: "agent_not_found", transient: false });
    expect(missing.problem.title).toBe("Agent not found");

    const anonymous = createSwitchboardClient({ baseUrl: "http://switchboard.test", fetch: workerFetch });
    expect(await rejection(anonymous.listAgents())).toMatchObject({ status: 401, code: "unauthorized" });
    const planner = createSwitchboardClient({ baseUrl: "http://switchboard.test", apiKey: KEYS.planner, fetch: workerFetch });
    expect(await rejection(planner.metricsText())).toMatchObject({ status: 403, code: "forbidden" });
    expect(await rejection(admin.getDeadLetter("dlq_nothing"))).toMatchObject({ status: 404, code: "dlq_entry_not_found" });
    expect(await rejection(admin.replayDeadLetters("echo", { limit: 500 }))).toMatchObject({ status: 400, code: "invalid_request" });

    // An open breaker answers 503 with Retry-After.
    const name = uniqueName("client-open");
    await admin.putAgent(name, { kind: "http", url: `${testServer()}/status/503/${name}`, breaker: { failure_threshold: 1, recovery_timeout_ms: 60_000 } });
    await rejection(admin.invoke(name, { content: 1 }));
    const open = await rejection(admin.invoke(name, { content: 1 }));
    expect(open).toMatchObject({ status: 503, code: "circuit_open", transient: true });
    expect(open.retryAfter).toBeGreaterThan(0);
  });
});

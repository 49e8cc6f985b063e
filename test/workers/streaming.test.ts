import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestStreamId } from "../../lib/streams/stream-id";
import { aborted, api, arrived, eventually, holdingAgent, inboundRow, invokeStream, release, settled, testServer, uniqueName } from "../support/api";
import { agentObjectStub, storesStream } from "../support/agent-storage";
import { auth, type KEYS } from "../support/keys";
import { EventReader } from "../support/sse";

/** GET /streams/:id, resuming after `lastEventId` (by header, or by query with `byQuery`). */
async function resume(streamId: string, lastEventId?: number, byQuery = false): Promise<Response> {
  const query = byQuery && lastEventId !== undefined ? `?last_event_id=${lastEventId}` : "";
  const headers: Record<string, string> = { ...auth("admin"), accept: "text/event-stream" };
  if (!byQuery && lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  return exports.default.fetch(new Request(`http://switchboard.test/streams/${streamId}${query}`, { headers }));
}

describe("streaming invoke", () => {
  it("streams a code agent's chunks as delta events, then exactly one reply; without the header the reply is the same", async () => {
    const res = await invokeStream("narrator", { content: { text: "hello there", agent: "echo" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = await new EventReader(res).all();
    expect(events.map((e) => e.event)).toEqual(["start", "delta", "delta", "reply"]);
    const [start, first, second, reply] = events;
    expect(start?.data).toEqual({ stream_id: res.headers.get("x-stream-id"), message_id: expect.stringMatching(/^msg_/) });
    expect([first?.data, second?.data]).toEqual([{ text: "echo: " }, { text: "hello there" }]);
    expect(reply?.data).toMatchObject({ role: "reply", from: "narrator", content: "echo: hello there", metadata: { in_reply_to: start?.data.message_id } });
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4]);

    const plain = await api("POST", "/agents/narrator/invoke", { body: { content: { text: "hello there", agent: "echo" } } });
    expect(plain.status).toBe(200);
    expect(plain.body.content).toBe("echo: hello there");
  });

  it("resumes after Last-Event-ID with nothing lost and nothing twice, then follows the live tail", async () => {
    const remote = await holdingAgent();
    const first = new EventReader(await invokeStream("narrator", { content: { text: "wait", agent: remote.name } }));
    const start = await first.until((e) => e.event === "start");
    const intro = await first.until((e) => e.event === "delta");
    await arrived(remote.key);
    await first.close();

    const streamId = start.data.stream_id as string;
    const resumed = new EventReader(await resume(streamId, intro.id as number));
    const byQuery = new EventReader(await resume(streamId, start.id as number, true));
    await release(remote.key);
    const rest = await resumed.all();
    expect(rest.map((e) => [e.id, e.event])).toEqual([
      [3, "delta"],
      [4, "reply"],
    ]);
    expect(rest[0]?.data).toEqual({ text: `released ${remote.key}` });
    expect(rest[1]?.data.content).toBe(`${remote.name}: released ${remote.key}`);
    expect((await byQuery.all()).map((e) => e.id)).toEqual([2, 3, 4]);

    // The whole stream, read again from the start, is what the first reader and the resumed one saw together.
    const whole = await new EventReader(await resume(streamId)).all();
    expect(whole).toEqual([...first.seen, ...rest]);
  });

  it("answers 204 to a reconnect after the stream's last event, so an EventSource stops reconnecting", async () => {
    const events = await new EventReader(await invokeStream("narrator", { content: { text: "done", agent: "echo" } })).all();
    const streamId = events[0]?.data.stream_id as string;
    const last = events.at(-1)?.id as number;
    expect(events.at(-1)?.event).toBe("reply");

    const after = await resume(streamId, last);
    expect(after.status).toBe(204);
    expect(await after.text()).toBe("");
    // One event before the end is still there, and nothing more.
    expect((await new EventReader(await resume(streamId, last - 1)).all()).map((e) => [e.id, e.event])).toEqual([[last, "reply"]]);

    // An async request's stream, rebuilt from its row, answers the same way.
    const sent = await api("POST", "/agents/echo/messages", { body: { content: "hi" } });
    await settled(sent.body.request_id);
    const stream = `/requests/${sent.body.request_id}/stream`;
    const whole = await new EventReader(
      await exports.default.fetch(new Request(`http://switchboard.test${stream}`, { headers: { ...auth("admin"), accept: "text/event-stream" } })),
    ).all();
    expect(whole.at(-1)?.event).toBe("reply");
    const tail = await exports.default.fetch(
      new Request(`http://switchboard.test${stream}`, {
        headers: { ...auth("admin"), accept: "text/event-stream", "last-event-id": String(whole.at(-1)?.id) },
      }),
    );
    expect(tail.status).toBe(204);
  });

  it("cancels the call when its client disconnects and does not come back, down to the remote agent", async () => {
    const remote = await holdingAgent();
    const reader = new EventReader(await invokeStream("narrator", { content: { text: "nobody waits", agent: remote.name } }));
    const start = await reader.until((e) => e.event === "start");
    await arrived(remote.key);
    await reader.close();

    expect((await aborted(remote.key)).aborted).toBe(true);
    expect((await inboundRow("narrator", "cancelled")).detail).toContain("did not reconnect");
    expect((await inboundRow(remote.name, "cancelled")).pattern).toBe("ctx.invokeStream");
    const replay = await new EventReader(await resume(start.data.stream_id)).all();
    expect(replay.at(-1)).toMatchObject({ event: "error", data: { code: "cancelled", status: 499 } });
  });

  it("answers a started call whose handler's request is not answered yet at the cap: start comes while the remote agent holds it", async () => {
    // The answer waits for the handler's request to be under way (lib/streams/answer-gate.ts), but
    // a held request never is: without the cap this invoke would not answer until the release.
    const remote = await holdingAgent();
    const reader = new EventReader(await invokeStream(remote.name, { content: "held" }));
    const start = await reader.until((e) => e.event === "start");
    expect(start.id).toBe(1);
    await arrived(remote.key);
    await release(remote.key);
    const rest = await reader.all();
    expect(rest.at(-1)).toMatchObject({ event: "reply", data: { content: `released ${remote.key}`, metadata: { in_reply_to: start.data.message_id } } });
  });

  it("answers a call refused before it starts with a plain problem, and a failure after with one error event", async () => {
    const refused = await invokeStream("fact-checker", { content: "x" }, "planner");
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect((await invokeStream("nobody-here", { content: "x" })).status).toBe(404);

    const broken = uniqueName("broken");
    await api("PUT", `/agents/${broken}`, { body: { kind: "http", url: `${testServer()}/status/503/${broken}` } });
    const before = (await api("GET", "/agents/narrator/breaker")).body.failures as number;
    const events = await new EventReader(await invokeStream("narrator", { content: { text: "x", agent: broken } })).all();
    expect(events.map((e) => e.event)).toEqual(["start", "delta", "error"]);
    expect(events[2]?.data).toMatchObject({ code: "agent_error", status: 502 });
    // A stream that fails mid-way is a failure of the agent that streamed, for its breaker too.
    expect((await api("GET", "/agents/narrator/breaker")).body.failures).toBe(before + 1);
  });

  it("ends with a timeout error event at the caller's deadline", async () => {
    const remote = await holdingAgent();
    const events = await new EventReader(await invokeStream("narrator", { content: { text: "slow", agent: remote.name }, timeout_ms: 300 })).all();
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "timeout", status: 504 } });
    expect((await aborted(remote.key)).aborted).toBe(true);
  });

  it("holds the concurrency slot until the stream ends, and logs one row for the whole stream", async () => {
    const remote = await holdingAgent({ limits: { max_concurrency: 1 } });
    const first = new EventReader(await invokeStream(remote.name, { content: "one" }));
    await first.until((e) => e.event === "start");
    await arrived(remote.key);
    const second = await invokeStream(remote.name, { content: "two", timeout_ms: 200 });
    expect(second.status).toBe(429);
    expect((await second.json()) as object).toMatchObject({ code: "pool_saturated" });
    await release(remote.key);
    expect((await first.all()).at(-1)?.event).toBe("reply");
    const third = await new EventReader(await invokeStream(remote.name, { content: "three" })).all();
    expect(third.at(-1)?.event).toBe("reply");

    const done = await new EventReader(await invokeStream("narrator", { content: { text: "counted", agent: "echo" } })).all();
    const messageId = done[0]?.data.message_id;
    const row = await eventually(async () => (await api("GET", "/agents/narrator/log")).body.entries.find((r: any) => r.id === messageId));
    expect(row).toMatchObject({ direction: "in", outcome: "ok", pattern: "invoke", detail: `streamed 2 deltas, ${"echo: counted".length} bytes` });
    expect(row.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("lets only its owner, admin and the agent read a stream again; 404 for streams it does not know", async () => {
    const events = await new EventReader(await invokeStream("narrator", { content: { text: "mine", agent: "echo" } }, "planner")).all();
    const streamId = events[0]?.data.stream_id as string;
    const as = (who: keyof typeof KEYS) => exports.default.fetch(new Request(`http://switchboard.test/streams/${streamId}`, { headers: auth(who) }));
    expect((await as("planner")).status).toBe(200);
    expect((await as("outsider")).status).toBe(403);
    expect((await resume(streamId, -1, true)).status).toBe(400);
    expect((await resume("str_narrator_0_000000000000000000000")).status).toBe(404);
    expect((await resume("not-a-stream")).status).toBe(404);
  });

  it("survives the agent's object going away mid-stream: the relay resumes and the stream ends with an error event", async () => {
    const remote = await holdingAgent();
    const reader = new EventReader(await invokeStream("narrator", { content: { text: "doomed", agent: remote.name } }));
    const start = await reader.until((e) => e.event === "start");
    await reader.until((e) => e.event === "delta");
    await arrived(remote.key);
    // Every object is torn down with what ran in it, as when a deployment restarts them.
    await abortAllDurableObjects();
    const last = await reader.until((e) => e.event === "error" || e.event === "reply");
    expect(last).toMatchObject({ event: "error", data: { code: "agent_error", transient: true } });
    expect(last.data.detail).toContain("restarted");
    // The restarted object goes on past every id the earlier one may have handed out, so a resume cannot skip its end.
    expect(last.id).toBeGreaterThan(2);
    expect(await reader.next()).toBeNull();
    // The object kept the stream: read again, it ends the same way.
    const replay = await new EventReader(await resume(start.data.stream_id)).all();
    expect(replay.map((e) => e.id)).toEqual([1, 2, last.id]);
  });

  it("streams an async request over GET /requests/:id/stream: every attempt, a retry step between, resumable, for its viewers only", async () => {
    const flaky = uniqueName("flaky");
    await api("PUT", `/agents/${flaky}`, { body: { kind: "http", url: `${testServer()}/flaky/1/${flaky}`, limits: { max_retries: 2, retry_delay_ms: 100 } } });
    const sent = await api("POST", `/agents/${flaky}/messages`, { as: "planner", body: { content: "twice" } });
    expect(sent.status).toBe(202);
    const id = sent.body.request_id as string;
    const read = (after?: number, who: keyof typeof KEYS = "planner") =>
      exports.default.fetch(
        new Request(`http://switchboard.test/requests/${id}/stream${after === undefined ? "" : `?last_event_id=${after}`}`, { headers: auth(who) }),
      );
    const events = await new EventReader(await read()).all();
    expect(events.map((e) => e.event)).toEqual(["start", "step", "reply"]);
    expect(events[1]?.data).toMatchObject({ type: "retry", code: "agent_error" });
    expect(events[2]?.data).toMatchObject({ from: flaky, content: { attempt: 2 } });
    expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(await new EventReader(await read(2)).all()).toEqual(events.slice(2));
    expect((await read(undefined, "outsider")).status).toBe(403);
    expect(
      (await exports.default.fetch(new Request("http://switchboard.test/requests/req_nobody_000000000000000000000/stream", { headers: auth("admin") }))).status,
    ).toBe(404);
  });

  it("a request its first attempt answered, read afterwards, streams start and reply from its row: the same ids, resumable, on both routes, for its viewers only", async () => {
    const name = uniqueName("plain");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const sent = await api("POST", `/agents/${name}/messages`, { as: "planner", body: { content: "once" } });
    const id = sent.body.request_id as string;
    const state = await settled(id);
    expect(state.status).toBe("replied");
    const streamId = requestStreamId(id) as string;
    // Nothing of it is stored: no attempt wrote past its start, and nobody read it while it ran.
    expect(await storesStream(name, 0, streamId)).toBe(false);
    const read = (after?: number, who: keyof typeof KEYS = "planner") =>
      exports.default.fetch(
        new Request(`http://switchboard.test/requests/${id}/stream${after === undefined ? "" : `?last_event_id=${after}`}`, { headers: auth(who) }),
      );
    const events = await new EventReader(await read()).all();
    expect(events.map((e) => [e.id, e.event])).toEqual([
      [1, "start"],
      [2, "reply"],
    ]);
    expect(events[0]?.data).toEqual({ stream_id: streamId, message_id: expect.stringMatching(/^msg_/) });
    expect(events[1]?.data).toEqual(state.reply);
    expect(await new EventReader(await read(1)).all()).toEqual(events.slice(1));
    expect(await new EventReader(await resume(streamId)).all()).toEqual(events);
    expect((await read(undefined, "outsider")).status).toBe(403);
  });

  it("a request cancelled while its attempt runs ends its stream with a cancelled error", async () => {
    const remote = await holdingAgent();
    const sent = await api("POST", `/agents/narrator/messages`, { body: { content: { text: "long", agent: remote.name } } });
    const reader = new EventReader(
      await exports.default.fetch(new Request(`http://switchboard.test/requests/${sent.body.request_id}/stream`, { headers: auth("admin") })),
    );
    expect((await reader.until((e) => e.event === "delta")).data).toEqual({ text: `${remote.name}: ` });
    await arrived(remote.key);
    expect((await api("DELETE", `/requests/${sent.body.request_id}`)).body.status).toBe("cancelled");
    const last = await reader.until((e) => e.event === "error" || e.event === "reply");
    expect(last).toMatchObject({ event: "error", data: { code: "cancelled" } });
  });

  it("a request waiting for input whose deadline passes ends its stream with the timeout error event", async () => {
    const name = uniqueName("ask-late");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ask/${name}`, limits: { input_timeout_ms: 1000 } } });
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "paint it" } });
    const reader = new EventReader(
      await exports.default.fetch(new Request(`http://switchboard.test/requests/${sent.body.request_id}/stream`, { headers: auth("admin") })),
    );
    expect((await reader.until((e) => e.event === "step")).data).toMatchObject({ type: "input_required" });
    // The alarm fires when the deadline is due; run it until it has (it may also fire on its own).
    await eventually(
      async () => {
        await runDurableObjectAlarm(agentObjectStub(name));
        return (await api("GET", `/requests/${sent.body.request_id}`)).body.status === "timed_out" || undefined;
      },
      10_000,
      "the input deadline to pass",
    );
    const last = await reader.until((e) => e.event === "error" || e.event === "reply");
    expect(last).toMatchObject({ event: "error", data: { code: "timeout", detail: "no input within 1000 ms" } });
    expect(await reader.next()).toBeNull();
  });

  it("a streaming invoke whose agent asks for input ends waiting: an input_required step, then the question with the request id to answer", async () => {
    const expense = { item: "laptop", amount: 1200 };
    const events = await new EventReader(await invokeStream("approver", { content: expense })).all();
    expect(events.map((e) => e.event)).toEqual(["start", "step", "reply"]);
    const [, step, reply] = events;
    const requestId = step?.data.request_id as string;
    expect(step?.data).toEqual({
      type: "input_required",
      request_id: requestId,
      status: "input_required",
      status_url: `/requests/${requestId}`,
      input_required: { question: "Approve 1200 for laptop?", schema: expect.any(Object) },
    });
    expect(reply?.data.metadata).toMatchObject({ request_id: requestId, input_required: { question: "Approve 1200 for laptop?" } });
    // The same waiting request a sync invoke leaves: answered, it finishes.
    expect((await api("GET", `/requests/${requestId}`)).body).toMatchObject({ status: "input_required" });
    expect((await api("POST", `/requests/${requestId}/input`, { body: { content: { approved: true } } })).status).toBe(202);
    const done = await eventually(
      async () => {
        const res = await api("GET", `/requests/${requestId}`);
        return res.body.status === "replied" ? res.body : undefined;
      },
      10_000,
      "the answered request to reply",
    );
    expect(done.reply.content).toMatchObject({ status: "approved", item: "laptop", by: "admin" });
  });
});

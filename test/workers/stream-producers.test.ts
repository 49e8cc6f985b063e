/**
 * What produces a stream's deltas and steps: a model agent's tokens (the local model word by word,
 * an OpenAI-compatible server through the AI SDK's streamText), its tool calls as `step` events, a
 * handoff target's stream relayed, a code agent's async iterable, and a remote HTTP agent that
 * answers text/event-stream. Each stream's reply is the
 * reply a plain invoke gets, and its deltas joined are that reply's text.
 */
import { describe, expect, it } from "vitest";
import { aborted, api, arrived, invokeStream, modelServer, modelServerCalls, received, testServer, uniqueName } from "../support/api";
import { EventReader, type SseEvent } from "../support/sse";

async function streamed(name: string, content: unknown, metadata?: Record<string, unknown>): Promise<SseEvent[]> {
  const res = await invokeStream(name, { content, ...(metadata ? { metadata } : {}) });
  expect(res.status, await res.clone().text()).toBe(200);
  return new EventReader(res).all();
}

const deltas = (events: SseEvent[]) => events.filter((e) => e.event === "delta").map((e) => e.data.text);
const kinds = (events: SseEvent[]) => events.map((e) => e.event);

describe("stream producers", () => {
  it("a model agent on the local model streams its answer word by word, and the reply is a plain call's", async () => {
    const name = uniqueName("words");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "model", model: {} } })).status).toBe(200);
    const events = await streamed(name, "one two  three");
    expect(kinds(events)).toEqual(["start", "delta", "delta", "delta", "reply"]);
    expect(deltas(events)).toEqual(["one ", "two  ", "three"]);
    const plain = await api("POST", `/agents/${name}/invoke`, { body: { content: "one two  three" } });
    expect(events.at(-1)?.data).toMatchObject({ content: plain.body.content, metadata: { model: "local:local-echo", usage: plain.body.metadata.usage } });
  });

  it("a model agent on an OpenAI-compatible server streams through streamText: the server is asked to stream, its chunks are the deltas", async () => {
    const name = uniqueName("remote-words");
    const model = { provider: "openai-compatible", base_url: modelServer(name), model: "m", api_key_secret: "TEST_MODEL_API_KEY" };
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "model", model } })).status).toBe(200);
    const events = await streamed(name, "hello wide world");
    expect(deltas(events)).toEqual(["remote:hello ", "wide ", "world"]);
    expect(events.at(-1)?.data).toMatchObject({ content: "remote:hello wide world", metadata: { model: "openai-compatible:m" } });
    await api("POST", `/agents/${name}/invoke`, { body: { content: "not streamed" } });
    const calls = await modelServerCalls(name);
    expect(calls.map((c) => c.body.stream === true)).toEqual([true, false]);
  });

  it("a failing model ends its stream with one error event, counted by the breaker", async () => {
    const name = uniqueName("remote-down");
    const model = { provider: "openai-compatible", base_url: modelServer(name, "status-503"), model: "m" };
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "model", model } })).status).toBe(200);
    const events = await streamed(name, "anyone?");
    expect(kinds(events)).toEqual(["start", "error"]);
    expect(events[1]?.data).toMatchObject({ code: "agent_error", transient: true, status: 502 });
    expect(events[1]?.data.detail).toContain("503");
    expect((await api("GET", `/agents/${name}/breaker`)).body.failures).toBe(1);
  });

  it("a model agent's tool call is a step event, then its answer streams", async () => {
    const events = await streamed("concierge", "Summarize: Ship it. Tell the team.");
    expect(kinds(events).filter((k) => k !== "delta")).toEqual(["start", "step", "reply"]);
    const step = events.find((e) => e.event === "step")?.data;
    expect(step).toMatchObject({ type: "tool_call", tool: "summarizer", outcome: "ok", message_id: expect.stringMatching(/^msg_/) });
    // The step came before the answer's first word: the tool answered, then the model spoke.
    expect(kinds(events).indexOf("step")).toBeLessThan(kinds(events).indexOf("delta"));
    const reply = events.at(-1)?.data;
    expect(deltas(events).length).toBeGreaterThan(1);
    expect(deltas(events).join("")).toBe(reply.content);
    expect(reply.metadata.steps).toEqual([step]);
  });

  it("a model agent that hands off relays the target's stream as it comes", async () => {
    const poet = uniqueName("poet");
    expect((await api("PUT", `/agents/${poet}`, { body: { kind: "model", model: {}, description: "Writes poems." } })).status).toBe(200);
    const desk = uniqueName("desk");
    expect((await api("PUT", `/agents/${desk}`, { body: { kind: "model", model: { model: "local-router" }, handoffs: [poet] } })).status).toBe(200);
    const events = await streamed(desk, "A poem please: roses are red");
    expect(deltas(events)).toEqual(["A ", "poem ", "please: ", "roses ", "are ", "red"]);
    expect(events.find((e) => e.event === "step")?.data).toMatchObject({ type: "handoff", tool: poet, outcome: "ok" });
    expect(events.at(-1)?.data).toMatchObject({ content: "A poem please: roses are red", metadata: { handled_by: poet } });
    // The handoff was a streaming call from desk, in both logs.
    const log = (await api("GET", `/agents/${poet}/log`)).body.entries;
    expect(log).toContainEqual(
      expect.objectContaining({ direction: "in", from: desk, pattern: "handoff", outcome: "ok", detail: "streamed 6 deltas, 28 bytes" }),
    );
  });

  it("a code agent that returns an async iterable streams each chunk; a plain call gets them joined", async () => {
    const events = await streamed("ticker", { count: 3, every_ms: 0 });
    expect(deltas(events)).toEqual(["tick 1 ", "tick 2 ", "tick 3"]);
    expect(events.at(-1)?.data.content).toBe("tick 1 tick 2 tick 3");
    expect((await api("POST", "/agents/ticker/invoke", { body: { content: { count: 2, every_ms: 0 } } })).body.content).toBe("tick 1 tick 2");
  });

  async function remoteAgent(mode: string): Promise<string> {
    const name = uniqueName(`sse-${mode}`);
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/sse/${mode}/${name}` } })).status).toBe(200);
    return name;
  }

  it("a remote HTTP agent that answers text/event-stream streams its deltas and steps; its reply event is the reply", async () => {
    const name = await remoteAgent("words");
    const events = await streamed(name, "far away  places");
    expect(kinds(events)).toEqual(["start", "delta", "delta", "delta", "step", "reply"]);
    expect(deltas(events)).toEqual(["far ", "away  ", "places"]);
    expect(events[4]?.data).toEqual({ type: "remote_step", words: 3 });
    expect(events.at(-1)?.data).toMatchObject({ content: "far away  places", metadata: { server: "test", handled_by: name } });
    // A plain call gets the same reply from the same stream; only a streaming caller asks for one.
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "far away  places" } })).body.content).toBe("far away  places");
    const accepts = (await received(name)).map((r) => r.headers.accept);
    expect(accepts).toEqual(["text/event-stream, application/json;q=0.9", "application/json"]);
  });

  it("a remote stream that breaks off or fails ends with one error event", async () => {
    const cut = await streamed(await remoteAgent("cut"), "x");
    expect(kinds(cut)).toEqual(["start", "delta", "error"]);
    expect(cut[2]?.data).toMatchObject({ code: "agent_error", transient: true });
    expect(cut[2]?.data.detail).toContain("before a reply event");
    const failed = await streamed(await remoteAgent("error"), "x");
    expect(kinds(failed)).toEqual(["start", "delta", "error"]);
    expect(failed[2]?.data).toMatchObject({ code: "agent_error", transient: true, detail: expect.stringContaining("disk full") });
  });

  it("a streaming client that goes away aborts the remote agent's stream mid-way", async () => {
    const name = await remoteAgent("hold");
    const reader = new EventReader(await invokeStream(name, { content: "long" }));
    expect((await reader.until((e) => e.event === "delta")).data).toEqual({ text: "working " });
    await arrived(name);
    await reader.close();
    expect((await aborted(name)).aborted).toBe(true);
  });
});

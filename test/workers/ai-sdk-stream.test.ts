/**
 * `?format=ai-sdk`: an invoke answered as the AI SDK's UI message stream, read back with the SDK's
 * own client-side reader (`readUIMessageStream`, what `useChat` runs), from the body `useChat` sends.
 */
import { exports } from "cloudflare:workers";
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { describe, expect, it } from "vitest";
import { api, modelServer, modelServerCalls, uniqueName } from "../support/api";
import { auth } from "../support/keys";

function post(name: string, body: unknown): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://switchboard.test/agents/${name}/invoke?format=ai-sdk`, { method: "POST", headers: auth("admin"), body: JSON.stringify(body) }),
  );
}

/** The SSE body as UI message chunks, and the last message `readUIMessageStream` built from them. */
async function read(res: Response): Promise<{ chunks: UIMessageChunk[]; message: UIMessage | undefined }> {
  const [mine, theirs] = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).tee();
  const chunks: UIMessageChunk[] = [];
  const stream = theirs.pipeThrough(
    new TransformStream<{ data: string }, UIMessageChunk>({
      transform: ({ data }, controller) => {
        if (data !== "[DONE]") controller.enqueue(JSON.parse(data));
      },
    }),
  );
  let message: UIMessage | undefined;
  const drained = (async () => {
    for await (const { data } of mine as unknown as AsyncIterable<{ data: string }>) if (data !== "[DONE]") chunks.push(JSON.parse(data));
  })();
  // A failure is an error chunk, which the reader hands to onError; the chunks say what it was.
  for await (const snapshot of readUIMessageStream({ stream, onError: () => {} })) message = snapshot;
  await drained;
  return { chunks, message };
}

describe("the AI SDK UI message stream (?format=ai-sdk)", () => {
  it("streams a model agent's answer as text deltas from useChat's request body; useChat's reader builds the message", async () => {
    const name = uniqueName("chat");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "model", model: {} } })).status).toBe(200);
    const res = await post(name, {
      id: "chat-1",
      trigger: "submit-message",
      messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "hello from useChat" }] }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(res.headers.get("x-stream-id")).toMatch(new RegExp(`^str_${name}_0_`));
    const { chunks, message } = await read(res);
    expect(chunks.filter((c) => c.type === "text-delta").map((c) => (c as { delta: string }).delta)).toEqual(["hello ", "from ", "useChat"]);
    expect(chunks.at(-1)).toEqual({ type: "finish" });
    expect(message?.parts.filter((p) => p.type === "text")).toEqual([expect.objectContaining({ type: "text", text: "hello from useChat" })]);
  });

  it("carries a model agent's tool call as a data-step part, and a failure as an error chunk", async () => {
    const { chunks, message } = await read(await post("concierge", { content: "Summarize: Ship it. Tell the team." }));
    expect(chunks.find((c) => c.type === "data-step")).toMatchObject({ data: { type: "tool_call", tool: "summarizer", outcome: "ok" } });
    expect(message?.parts.find((p) => p.type === "text")).toMatchObject({ text: '{"summary":"Summarize: Ship it.","words":6}' });

    const broken = uniqueName("down");
    await api("PUT", `/agents/${broken}`, {
      body: { kind: "model", model: { provider: "openai-compatible", base_url: modelServer(broken, "status-503"), model: "m" } },
    });
    const failed = await read(await post(broken, { content: "x" }));
    expect(failed.chunks.at(-1)).toMatchObject({ type: "error", errorText: expect.stringMatching(/^agent_error: /) });
  });

  it("gives the reply of an agent that does not stream as one text part, a string as it is and anything else as JSON", async () => {
    const said = await read(await post("echo", { content: "said once, not streamed" }));
    expect(said.chunks.map((c) => c.type)).toEqual(["start", "text-start", "text-delta", "text-end", "data-reply", "finish"]);
    expect(said.message?.parts.filter((p) => p.type === "text")).toEqual([expect.objectContaining({ text: "said once, not streamed" })]);
    const data = await read(await post("echo", { content: { n: 7 } }));
    expect(data.message?.parts.filter((p) => p.type === "text")).toEqual([expect.objectContaining({ text: '{"n":7}' })]);
  });

  it("takes an idempotency_key: a retry streams the first answer as text, says so, and the model is called once", async () => {
    const name = uniqueName("chat-key");
    await api("PUT", `/agents/${name}`, { body: { kind: "model", model: { provider: "openai-compatible", base_url: modelServer(name), model: "m" } } });
    const first = await read(await post(name, { content: "only once", idempotency_key: "chat-k" }));
    const again = await post(name, { content: "only once", idempotency_key: "chat-k" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const retry = await read(again);
    const texts = (m: UIMessage | undefined) => m?.parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text);
    expect(texts(first.message)?.join("")).not.toBe("");
    expect(texts(retry.message)).toEqual([texts(first.message)?.join("")]);
    expect(await modelServerCalls(name)).toHaveLength(1);
  });

  it("refuses a body that is neither an invoke nor a useChat request, naming the field", async () => {
    const res = await post("echo", { messages: "not a list" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_request");
  });
});

/**
 * The README's "a model agent delegates" step against `wrangler dev`: the concierge model agent
 * calls other agents as tools on the offline local-router model, hands support questions to the
 * support chain, and the trace shows concierge → its tools. Then the same tools config on an
 * OpenAI-compatible loopback server that answers real chat-completions `tool_calls`.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ModelCall, startModelServer } from "../support/model-server";
import { E2E_POLL, eventually } from "../support/poll";
import { devApi } from "../support/dev-api";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
let models: { server: Server; port: number };
const call = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => devApi(dev, method, path, body, extra);

beforeAll(async () => {
  [dev, models] = await Promise.all([startWranglerDev(), startModelServer()]);
});
afterAll(async () => {
  await dev?.stop();
  await new Promise<void>((resolve) => (models ? models.server.close(() => resolve()) : resolve()));
});

describe("README: a model agent delegates", () => {
  it("calls the matching tool through its pipeline, and the trace shows both", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await call(
      "POST",
      "/agents/concierge/invoke",
      { content: "Summarize: Ship it. Tell the team." },
      { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    expect(res.status).toBe(200);
    expect(res.body.content).toBe('{"summary":"Summarize: Ship it.","words":6}');
    expect(res.body.metadata.steps).toEqual([
      expect.objectContaining({ type: "tool_call", tool: "summarizer", outcome: "ok", message_id: expect.stringMatching(/^msg_/) }),
    ]);
    expect(res.body.metadata.usage).toEqual({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    const trace = await eventually(
      async () => {
        const t = await call("GET", `/traces/${traceId}`);
        return t.body.agents?.length === 2 ? t.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "the trace to list concierge and summarizer",
      E2E_POLL.intervalMs,
    );
    expect(trace.agents.sort()).toEqual(["concierge", "summarizer"]);
    expect(trace.messages).toContainEqual(expect.objectContaining({ agent: "concierge", direction: "out", to: "summarizer", pattern: "tool" }));
  });

  it("hands a billing question to the support chain", async () => {
    const res = await call("POST", "/agents/concierge/invoke", { content: "I have a billing question: I was charged twice.", metadata: { type: "refund" } });
    expect(res.body.metadata).toMatchObject({
      handled_by: "billing",
      path: ["concierge", "triage", "billing"],
      steps: [expect.objectContaining({ type: "handoff", tool: "triage" })],
    });
  });

  it("gets fact-checker's handshake_required back as a tool result, then succeeds after the handshake", async () => {
    const claim = { content: "Verify this claim: according to the source, 42 agents replied." };
    const refused = await call("POST", "/agents/concierge/invoke", claim);
    expect(refused.body.metadata.steps[0]).toMatchObject({ tool: "fact-checker", outcome: "handshake_required" });
    const shake = await call("POST", "/agents/fact-checker/handshake", { from: "concierge", version: "2.0.0", capabilities: ["research"] });
    expect(shake.body.status).toBe("accepted");
    const verified = await call("POST", "/agents/concierge/invoke", claim);
    expect(JSON.parse(verified.body.content)).toMatchObject({ verdict: "supported" });
  });

  it("works unchanged against an OpenAI-compatible server that answers tool_calls over several steps", async () => {
    const base = `http://127.0.0.1:${models.port}/m/e2e-tools/call-summarizer/call-wordcount`;
    const put = await call("PUT", "/agents/remote-concierge", {
      model: { provider: "openai-compatible", base_url: base, model: "llama3.1" },
      tools: ["summarizer", "fact-checker", "wordcount"],
      handoffs: ["triage"],
    });
    expect(put.status).toBe(200);
    const res = await call("POST", "/agents/remote-concierge/invoke", { content: "one two. three" });
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps.map((s: { tool: string; outcome: string }) => `${s.tool}:${s.outcome}`)).toEqual(["summarizer:ok", "wordcount:ok"]);
    expect(res.body.content).toMatch(/^remote:\{"summary":"one two\.","words":3\} \| \{"counts":/);
    const calls = (await (await fetch(`http://127.0.0.1:${models.port}/_calls/e2e-tools`)).json()) as ModelCall[];
    expect(calls).toHaveLength(3);
    expect(calls[0]?.body.tools?.map((t) => t.function.name)).toEqual(["summarizer", "fact-checker", "wordcount", "triage"]);
  });
});

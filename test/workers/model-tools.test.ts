/**
 * Model agents that delegate (tools, handoffs, the tool loop): every tool call is a Switchboard
 * call from the model agent, through the target's pipeline, on the offline local-router model and
 * on a loopback OpenAI-compatible server answering real `tool_calls`.
 */
import { describe, expect, it } from "vitest";
import { api, eventually, modelServer, modelServerCalls, testServer, uniqueName } from "../support/api";

async function invoke(agent: string, content: unknown, metadata?: Record<string, unknown>) {
  return api("POST", `/agents/${agent}/invoke`, { body: { content, ...(metadata ? { metadata } : {}) } });
}

describe("the concierge example on local-router", () => {
  it("calls the tool that matches the request and answers with its result", async () => {
    const res = await invoke("concierge", "Summarize: Ship it. Tell the team.");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.content)).toEqual({ summary: "Summarize: Ship it.", words: 6 });
    const { steps, usage, step_usage, handled_by, path } = res.body.metadata;
    expect({ handled_by, path }).toEqual({ handled_by: "concierge", path: ["concierge"] });
    expect(steps).toEqual([
      { type: "tool_call", tool: "summarizer", outcome: "ok", duration_ms: expect.any(Number), message_id: expect.stringMatching(/^msg_/), step: 0 },
    ]);
    expect(step_usage).toHaveLength(2);
    expect(usage.input_tokens).toBe(step_usage[0].input_tokens + step_usage[1].input_tokens);
    expect(usage.output_tokens).toBe(step_usage[0].output_tokens + step_usage[1].output_tokens);
    // One call from concierge: logged on both sides under the step's message id.
    const summarizerLog = await api("GET", "/agents/summarizer/log?limit=50");
    expect(summarizerLog.body.entries).toContainEqual(
      expect.objectContaining({ id: steps[0].message_id, direction: "in", from: "concierge", pattern: "tool", outcome: "ok" }),
    );
    const conciergeLog = await api("GET", "/agents/concierge/log?limit=50");
    expect(conciergeLog.body.entries).toContainEqual(expect.objectContaining({ id: steps[0].message_id, direction: "out", to: "summarizer", pattern: "tool" }));
  });

  it("shows concierge and its tool in one trace", async () => {
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const res = await api("POST", "/agents/concierge/invoke", {
      body: { content: "Count the words: the cat sat" },
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    expect(res.body.metadata.steps.map((s: { tool: string }) => s.tool)).toEqual(["wordcount"]);
    const trace = await eventually(async () => {
      const t = await api("GET", `/traces/${traceId}`);
      return t.body.agents?.includes("wordcount-reduce") ? t.body : undefined;
    });
    expect(trace.agents).toEqual(expect.arrayContaining(["concierge", "wordcount", "wordcount-map", "wordcount-reduce"]));
    expect(trace.messages).toContainEqual(expect.objectContaining({ agent: "wordcount", direction: "in", from: "concierge", pattern: "tool" }));
  });

  it("gives a refused call back to the model with its code, and succeeds once the handshake is made", async () => {
    const claim = "According to the source, 42 agents replied. Verify this claim.";
    // fact-checker requires an accepted handshake from its caller, which is concierge here.
    await api("POST", "/agents/fact-checker/handshake", { body: { from: "concierge", version: "1.0.0", capabilities: [] } });
    const refused = await invoke("concierge", claim);
    expect(refused.status).toBe(200);
    expect(refused.body.metadata.steps).toEqual([
      expect.objectContaining({ tool: "fact-checker", outcome: "handshake_required", message_id: expect.stringMatching(/^msg_/) }),
    ]);
    expect(refused.body.content).toMatch(/^fact-checker failed: handshake_required: /);
    const shake = await api("POST", "/agents/fact-checker/handshake", { body: { from: "concierge", version: "2.0.0", capabilities: ["research"] } });
    expect(shake.body.status).toBe("accepted");
    const verified = await invoke("concierge", claim);
    expect(verified.body.metadata.steps[0]).toMatchObject({ tool: "fact-checker", outcome: "ok" });
    // fact-checker's input_schema made the model send { claim }, so the content arrived as an object.
    expect(JSON.parse(verified.body.content)).toMatchObject({ claim, verdict: "supported" });
  });

  it("hands a support question to the support chain: its reply is the reply", async () => {
    const res = await invoke("concierge", "I have a billing question: I was charged twice.", { type: "refund" });
    expect(res.status).toBe(200);
    expect(res.body.content).toEqual({ team: "billing", answer: "A billing specialist will look at: I have a billing question: I was charged twice." });
    expect(res.body.metadata).toMatchObject({ handled_by: "billing", path: ["concierge", "triage", "billing"] });
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ type: "handoff", tool: "triage", outcome: "ok" })]);
    expect(res.body.metadata.step_usage).toHaveLength(1);
  });

  it("answers directly when no tool matches", async () => {
    const res = await invoke("concierge", "Hello there");
    expect(res.body.content).toBe("Hello there");
    expect(res.body.metadata.steps).toEqual([]);
  });
});

describe("ctx.model.run with tools", () => {
  it("gives a code agent the same loop", async () => {
    const res = await invoke("dispatcher", "Summarise this: Queues decouple agents. They retry.");
    expect(res.status).toBe(200);
    expect(res.body.content.calls).toEqual(["summarizer:ok"]);
    expect(JSON.parse(res.body.content.answer)).toEqual({ summary: "Summarise this: Queues decouple agents.", words: 7 });
    const log = await api("GET", "/agents/summarizer/log?limit=50");
    expect(log.body.entries).toContainEqual(expect.objectContaining({ direction: "in", from: "dispatcher", pattern: "tool" }));
  });
});

describe("configuring tools", () => {
  it("refuses unknown, self-referencing and misplaced tools, naming the field", async () => {
    const name = uniqueName("tooly");
    for (const [body, field] of [
      [{ model: { model: "local-router" }, tools: ["summarizer", "nobody-here"] }, "tools[1]: no agent named nobody-here"],
      [{ model: { model: "local-router" }, handoffs: ["nobody-here"] }, "handoffs[0]: no agent named nobody-here"],
      [{ model: { model: "local-router" }, tools: [name] }, `tools[0]: ${name} cannot call itself`],
      [{ model: { model: "local-router" }, tools: ["summarizer"], handoffs: ["summarizer"] }, 'handoffs[0]: "summarizer" is listed twice'],
      [{ model: { model: "local-router" }, tools: ["summarizer/summarize"] }, 'tools[0]: "summarizer/summarize" names a tool of an MCP server'],
      [{ kind: "http", url: "https://x.dev", tools: ["summarizer"] }, "tools: only model agents"],
      [{ model: { model: "local-router" }, tools: ["summarizer"], batch: { size: 2 } }, "batch: a model agent with tools"],
      [{ model: { model: "local-router" }, max_steps: 33 }, "max_steps"],
      [{ model: { model: "local-router" }, max_steps: 0 }, "max_steps"],
      [{ model: {}, input_schema: { type: "strnig" } }, "input_schema"],
      [{ model: {}, input_schema: { $ref: "#/nowhere" } }, "input_schema"],
      [{ model: {}, tools: ["Summarizer"] }, "tools"],
    ] as const) {
      const res = await api("PUT", `/agents/${name}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("invalid_request");
      expect(res.body.detail, JSON.stringify(body)).toContain(field);
    }
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
    const ok = await api("PUT", `/agents/${name}`, { body: { model: { model: "local-router" }, tools: ["summarizer"], handoffs: ["triage"] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: "model", tools: ["summarizer"], handoffs: ["triage"], max_steps: 8 });
  });

  it("keeps the handler, model and tools of agents defined in code", async () => {
    const res = await api("PUT", "/agents/concierge", { body: { tools: ["echo"] } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^tools: /);
    const listed = (await api("GET", "/agents?prefix=concierge")).body.agents.find((a: { name: string }) => a.name === "concierge");
    expect(listed).toMatchObject({ kind: "model", tools: ["summarizer", "fact-checker", "wordcount"], handoffs: ["triage"], max_steps: 4 });
    expect((await api("GET", "/agents/fact-checker")).body.input_schema).toMatchObject({ required: ["claim"] });
  });
});

describe("every tool call is a Switchboard call", () => {
  it("is forbidden when the tool's ACL does not list the model agent, and the model sees the code", async () => {
    const secret = uniqueName("secret");
    await api("PUT", `/agents/${secret}`, {
      body: { kind: "http", url: `${testServer()}/ok/${secret}`, description: "Keeps secrets", acl: { allow: ["planner"] } },
    });
    const model = uniqueName("nosy");
    await api("PUT", `/agents/${model}`, { body: { model: { model: "local-router" }, tools: [secret] } });
    const res = await invoke(model, "tell me the secrets");
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ tool: secret, outcome: "forbidden" })]);
    expect(res.body.content).toContain(`failed: forbidden: agent ${model} may not call ${secret}`);
    // The caller's own key does not widen what the tool call may do: from is the model agent.
    const asPlanner = await api("POST", `/agents/${model}/invoke`, { as: "planner", body: { content: "tell me the secrets" } });
    expect(asPlanner.body.metadata.steps[0].outcome).toBe("forbidden");
  });

  it("turns a tool that disappeared into a tool error", async () => {
    const tool = uniqueName("gone");
    await api("PUT", `/agents/${tool}`, { body: { kind: "http", url: `${testServer()}/ok/${tool}`, description: "Vanishes soon" } });
    const model = uniqueName("orphan");
    await api("PUT", `/agents/${model}`, { body: { model: { model: "local-router" }, tools: [tool] } });
    expect((await invoke(model, "vanishes")).body.metadata.steps[0].outcome).toBe("ok");
    expect((await api("DELETE", `/agents/${tool}`)).status).toBe(204);
    const res = await invoke(model, "vanishes");
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ tool, outcome: "agent_not_found" })]);
  });

  it("detects a loop through tools: a call back to a model agent on the path is loop_detected", async () => {
    const ping = uniqueName("ping");
    const pong = uniqueName("pong");
    const agent = (tools: string[]) => ({ model: { model: "local-router" }, description: "plays ping pong", tools });
    await api("PUT", `/agents/${ping}`, { body: agent(["summarizer"]) });
    await api("PUT", `/agents/${pong}`, { body: agent([ping]) });
    await api("PUT", `/agents/${ping}`, { body: agent([pong]) });
    const res = await invoke(ping, "ping pong");
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ tool: pong, outcome: "ok" })]);
    // pong's own tool call went back to ping, which was already on the path.
    expect(res.body.content).toBe(`${ping} failed: loop_detected: loop: ${ping} → ${pong} → ${ping} revisits ${ping}`);
    const log = await api("GET", `/agents/${pong}/log?limit=5`);
    expect(log.body.entries).toContainEqual(expect.objectContaining({ direction: "out", to: ping, pattern: "tool", outcome: "loop_detected" }));
  });

  it("gives a tool's own timeout back to the model while the caller still has time", async () => {
    const slow = uniqueName("sluggish");
    await api("PUT", `/agents/${slow}`, {
      body: { kind: "http", url: `${testServer()}/slow/3000/${slow}`, description: "Sluggish lookup", limits: { timeout_ms: 200 } },
    });
    const model = uniqueName("patient");
    await api("PUT", `/agents/${model}`, { body: { model: { model: "local-router" }, tools: [slow] } });
    const res = await api("POST", `/agents/${model}/invoke`, { body: { content: "sluggish lookup please", timeout_ms: 5000 } });
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ tool: slow, outcome: "timeout" })]);
    expect(res.body.content).toMatch(new RegExp(`^${slow} failed: timeout: `));
  });

  it("ends the loop at the caller's deadline with timeout", async () => {
    const slow = uniqueName("slow");
    await api("PUT", `/agents/${slow}`, { body: { kind: "http", url: `${testServer()}/slow/3000/${slow}`, description: "Slow lookup" } });
    const model = uniqueName("impatient");
    await api("PUT", `/agents/${model}`, { body: { model: { model: "local-router" }, tools: [slow] } });
    const started = Date.now();
    const res = await api("POST", `/agents/${model}/invoke`, { body: { content: "slow lookup please", timeout_ms: 500 } });
    expect(res.status).toBe(504);
    expect(res.body.code).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe("against an OpenAI-compatible server answering tool_calls", () => {
  it("runs several steps, describing each tool from the registry", async () => {
    const key = uniqueName("tools-remote");
    const model = uniqueName("remote-tools");
    const put = await api("PUT", `/agents/${model}`, {
      body: {
        model: { provider: "openai-compatible", base_url: modelServer(key, "call-summarizer", "call-fact-checker"), model: "tool-llm" },
        tools: ["summarizer", "fact-checker"],
      },
    });
    expect(put.status).toBe(200);
    await api("POST", "/agents/fact-checker/handshake", { body: { from: model, version: "2.0.0", capabilities: ["research"] } });
    const res = await invoke(model, "According to the source, 7 ships sailed.");
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps.map((s: { tool: string; outcome: string; step: number }) => [s.tool, s.outcome, s.step])).toEqual([
      ["summarizer", "ok", 0],
      ["fact-checker", "ok", 1],
    ]);
    expect(res.body.content).toBe(
      'remote:{"summary":"According to the source, 7 ships sailed.","words":7} | {"claim":"According to the source, 7 ships sailed.","verdict":"supported","request_type":null}',
    );
    expect(res.body.metadata.step_usage).toHaveLength(3);
    expect(res.body.metadata.usage).toEqual({ input_tokens: 10 + 11 + 12, output_tokens: 15 });
    const calls = await modelServerCalls(key);
    expect(calls).toHaveLength(3);
    const offered = calls[0]?.body.tools?.map((t) => t.function) ?? [];
    expect(offered).toEqual([
      {
        name: "summarizer",
        description: "Summarises text: its first sentence and its word count.",
        parameters: expect.objectContaining({ required: ["content"] }),
      },
      expect.objectContaining({ name: "fact-checker", parameters: expect.objectContaining({ required: ["claim"] }) }),
    ]);
    // The second request carries the first tool call and its result, as the wire format has them.
    expect(calls[1]?.body.messages?.slice(-2)).toEqual([
      expect.objectContaining({
        role: "assistant",
        tool_calls: [expect.objectContaining({ id: "call_1", function: expect.objectContaining({ name: "summarizer" }) })],
      }),
      expect.objectContaining({ role: "tool", tool_call_id: "call_1" }),
    ]);
  });

  it("refuses unknown tools and arguments that fail input_schema without calling anyone, and counts them", async () => {
    const key = uniqueName("tools-bad");
    const model = uniqueName("sloppy");
    await api("PUT", `/agents/${model}`, {
      body: {
        model: { provider: "openai-compatible", base_url: modelServer(key, "call-summarizer", "call-echo", "bad-args"), model: "m" },
        tools: ["summarizer"],
      },
    });
    const before = (await api("GET", "/agents/summarizer/metrics")).body.messages.filter((m: { direction: string }) => m.direction === "in");
    const res = await invoke(model, "hello");
    expect(res.status).toBe(200);
    expect(res.body.metadata.steps).toEqual([
      { type: "tool_call", tool: "summarizer", outcome: "invalid_request", duration_ms: 0, message_id: null, step: 0 },
      { type: "tool_call", tool: "echo", outcome: "invalid_request", duration_ms: 0, message_id: null, step: 1 },
    ]);
    const calls = await modelServerCalls(key);
    expect(calls[1]?.body.messages?.at(-1)).toMatchObject({ role: "tool", content: expect.stringContaining("invalid_request: arguments /content:") });
    expect((await api("GET", `/agents/${model}/metrics`)).body.tool_rejections).toBe(2);
    expect((await api("GET", `/agents/${model}/log?limit=10`)).body.entries.filter((e: { direction: string }) => e.direction === "out")).toEqual([]);
    const after = (await api("GET", "/agents/summarizer/metrics")).body.messages.filter((m: { direction: string }) => m.direction === "in");
    expect(after.reduce((n: number, m: { count: number }) => n + m.count, 0)).toBe(before.reduce((n: number, m: { count: number }) => n + m.count, 0));
  });

  it("stops at max_steps with agent_error when the model never answers", async () => {
    const key = uniqueName("tools-loop");
    const model = uniqueName("looper");
    await api("PUT", `/agents/${model}`, {
      body: {
        model: { provider: "openai-compatible", base_url: modelServer(key, "loop-echo"), model: "m" },
        tools: ["echo"],
        max_steps: 3,
        breaker: { failure_threshold: 1 },
      },
    });
    const res = await invoke(model, "again and again");
    expect(res.status).toBe(502);
    expect(res.body.detail).toBe(`${model} reached max_steps 3 with its model still calling tools (echo ok, echo ok, echo ok)`);
    expect(await modelServerCalls(key)).toHaveLength(3);
    // A configuration limit, not a sick agent: the breaker stays closed.
    expect((await api("GET", `/agents/${model}/breaker`)).body.state).toBe("closed");
  });
});

describe("handoffs", () => {
  it("give a refused handoff back to the model, which answers instead", async () => {
    const desk = uniqueName("desk");
    await api("PUT", `/agents/${desk}`, {
      body: { kind: "http", url: `${testServer()}/ok/${desk}`, description: "Billing desk", acl: { allow: ["planner"] } },
    });
    const model = uniqueName("front");
    await api("PUT", `/agents/${model}`, { body: { model: { model: "local-router" }, handoffs: [desk] } });
    const res = await invoke(model, "a billing problem");
    expect(res.status).toBe(200);
    expect(res.body.metadata).toMatchObject({ handled_by: model, path: [model] });
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ type: "handoff", tool: desk, outcome: "forbidden" })]);
    expect(res.body.content).toBe(`${desk} failed: forbidden: agent ${model} may not call ${desk}`);
  });
});

describe("the built-in need_input tool", () => {
  it("lets a model ask its caller: the call waits, and the answer continues the conversation", async () => {
    const key = uniqueName("asks");
    const model = uniqueName("asker");
    const put = await api("PUT", `/agents/${model}`, {
      body: { model: { provider: "openai-compatible", base_url: modelServer(key, "ask"), model: "asking-llm" }, tools: ["need_input"] },
    });
    expect(put.status).toBe(200);
    const asked = await api("POST", `/agents/${model}/invoke`, { body: { content: "Deploy on Friday" } });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      status: "input_required",
      input_required: { question: "May I go ahead with: Deploy on Friday?", schema: { required: ["approved"] } },
    });
    // The model was offered need_input as a tool, with the question it must ask.
    const [first] = await modelServerCalls(key);
    expect(first?.body.tools?.map((t) => t.function.name)).toEqual(["need_input"]);

    // The question's schema is the model's: an answer that does not fit is refused.
    expect((await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: { approved: "sure" } } })).status).toBe(400);
    expect((await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: { approved: true } } })).status).toBe(202);
    const done = await eventually(
      async () => {
        const res = await api("GET", `/requests/${asked.body.request_id}`);
        return res.body.status === "replied" ? res.body : undefined;
      },
      10_000,
      "the resumed model call to reply",
    );
    expect(done.reply.content).toBe('remote:{"approved":true}');
    // Resumed, the model saw the conversation so far: the prompt, its question, the answer.
    const calls = await modelServerCalls(key);
    expect(
      calls
        .at(-1)
        ?.body.messages?.filter((m) => m.role !== "system")
        .map((m) => [m.role, m.content]),
    ).toEqual([
      ["user", "Deploy on Friday"],
      ["assistant", "May I go ahead with: Deploy on Friday?"],
      ["user", '{"approved":true}'],
    ]);
  });
});

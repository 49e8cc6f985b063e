import { describe, expect, it } from "vitest";
import { createContext } from "../../lib/agents/context";
import { makeEnvelope } from "../../lib/message/call";
import { api, modelServer, modelServerCalls as modelCalls, uniqueName } from "../support/api";

describe("model agents", () => {
  it("are created by PUT alone and answer on the local model by default", async () => {
    const name = uniqueName("local-model");
    const put = await api("PUT", `/agents/${name}`, { body: { kind: "model", model: {} } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ kind: "model", model: { provider: "local" }, batch: null });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "Hello, model." } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: "reply", from: name, content: "Hello, model.", metadata: { model: "local:local-echo", handled_by: name } });
    expect(res.body.metadata.usage).toEqual({ input_tokens: 2, output_tokens: 2 });
  });

  it("infer kind model from a model config and keep a system prompt", async () => {
    const name = uniqueName("sentiment");
    const put = await api("PUT", `/agents/${name}`, { body: { model: { model: "local-sentiment", system: "Classify the sentiment." } } });
    expect(put.body.kind).toBe("model");
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { messages: [{ role: "user", content: "It crashes, terrible." }] } } });
    expect(res.body.content).toBe("negative");
  });

  it("reject invalid model configs naming the field", async () => {
    const name = uniqueName("bad-model");
    for (const [model, field] of [
      [{ provider: "openai-compatible", model: "gpt-4o-mini" }, "base_url"],
      [{ provider: "workers-ai" }, "model"],
      [{ provider: "local", model: "gpt-5" }, "model"],
      [{ provider: "local", temperature: 2 }, "temperature"],
    ] as const) {
      const res = await api("PUT", `/agents/${name}`, { body: { kind: "model", model } });
      expect(res.status, JSON.stringify(model)).toBe(400);
      expect(res.body.detail, JSON.stringify(model)).toContain(field);
    }
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "model" } })).body.detail).toContain("model");
  });

  it("reject batch configs that could never work, naming the field", async () => {
    const name = uniqueName("bad-batch");
    for (const [body, field] of [
      [{ kind: "model", model: {}, batch: { size: 20 } }, "batch.size"],
      [{ kind: "model", model: {}, batch: { size: 5, timeout_ms: 5000 }, limits: { timeout_ms: 2000 } }, "batch.timeout_ms"],
      [{ kind: "http", url: "https://x.dev", batch: { size: 5 } }, "batch"],
    ] as const) {
      const res = await api("PUT", `/agents/${name}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.detail.startsWith(`${field}:`), res.body.detail).toBe(true);
    }
    const ok = await api("PUT", `/agents/${name}`, { body: { kind: "model", model: {}, batch: { size: 20 }, limits: { max_concurrency: 20 } } });
    expect(ok.status).toBe(200);
    expect(ok.body.batch).toEqual({ size: 20, timeout_ms: 1000 });
  });

  it("call an openai-compatible server with the model, messages and the secret's key", async () => {
    const name = uniqueName("remote-model");
    const key = name;
    await api("PUT", `/agents/${name}`, {
      body: {
        model: { provider: "openai-compatible", base_url: modelServer(key), model: "llama-3.1-8b", system: "Be brief.", api_key_secret: "TEST_MODEL_API_KEY" },
      },
    });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "What is 2+2?" } });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe("remote:What is 2+2?");
    expect(res.body.metadata.model).toBe("openai-compatible:llama-3.1-8b");
    const calls = await modelCalls(key);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe(`/m/${key}/chat/completions`);
    expect(calls[0]?.headers.authorization).toBe("Bearer sk-model-test");
    expect(calls[0]?.body.model).toBe("llama-3.1-8b");
    expect(calls[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is 2+2?" },
    ]);
  });

  it("turn a provider failure into agent_error and count it on the breaker", async () => {
    const name = uniqueName("down-model");
    await api("PUT", `/agents/${name}`, {
      body: { model: { provider: "openai-compatible", base_url: modelServer(name, "status-503"), model: "m" }, breaker: { failure_threshold: 1 } },
    });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe("agent_error");
    expect(res.body.detail).toContain("503");
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } })).body.code).toBe("circuit_open");
    expect(await modelCalls(name)).toHaveLength(1);
  });

  it("explain a missing secret or AI binding without counting a breaker failure", async () => {
    const name = uniqueName("no-secret");
    await api("PUT", `/agents/${name}`, {
      body: {
        model: { provider: "openai-compatible", base_url: modelServer(name), model: "m", api_key_secret: "NOT_SET_KEY" },
        breaker: { failure_threshold: 1 },
      },
    });
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } });
      expect(res.status).toBe(502);
      expect(res.body.detail).toContain("model.api_key_secret: the secret NOT_SET_KEY is not set");
    }
    const ai = uniqueName("no-ai");
    await api("PUT", `/agents/${ai}`, { body: { model: { provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct" } } });
    const res = await api("POST", `/agents/${ai}/invoke`, { body: { content: "hi" } });
    expect(res.status).toBe(502);
    expect(res.body.detail).toContain('[ai] binding = "AI"');
  });
});

describe("ctx.model", () => {
  it("lets a code agent ask its model (the feedback-router example)", async () => {
    const res = await api("POST", "/agents/feedback-router/invoke", { body: { content: "The export crashes and I want a refund." } });
    expect(res.status).toBe(200);
    expect(res.body.content).toEqual({ sentiment: "negative", route: "support", model: "local:local-sentiment" });
    expect((await api("GET", "/agents/feedback-router")).body.model).toMatchObject({ provider: "local", model: "local-sentiment" });
  });

  it("runs the agent's model, with per-call overrides", async () => {
    const message = makeEnvelope({ from: null, to: "x", role: "agent_call", content: "" });
    const ctx = createContext({
      self: "x",
      message,
      call: { message, deadline: Date.now() + 5000, path: [], pattern: "invoke" },
      signal: new AbortController().signal,
      env: {},
      ports: {
        callAgent: async () => ({ ok: false, code: "agent_not_found", detail: "" }),
        request: async () => ({ ok: false, code: "agent_not_found", detail: "" }),
        handshake: async () => ({ ok: false, code: "agent_not_found", detail: "" }),
      },
      model: { config: { provider: "local", model: "local-sentiment" }, env: { bindings: {}, dev: true } },
    });
    expect((await ctx.model.run("thanks, works great")).text).toBe("positive");
    expect((await ctx.model.run([{ role: "user", content: "echo me" }], { model: "local-echo" })).text).toBe("echo me");
    const remote = await ctx.model.run("hi", { provider: "openai-compatible", base_url: modelServer("ctx-model"), model: "m" });
    expect(remote).toMatchObject({ text: "remote:hi", model: "openai-compatible:m" });
  });
});

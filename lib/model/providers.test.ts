import { generateText } from "ai";
import { describe, expect, it } from "vitest";
import { ModelConfig } from "../registry/entry";
import { LocalLanguageModel } from "./local-model";
import { resolveLanguageModel } from "./providers";
import { runModel } from "./run-model";

const env = { bindings: {}, dev: false };

describe("model config validation", () => {
  it("defaults to the local provider", () => {
    expect(ModelConfig.parse({})).toEqual({ provider: "local" });
  });

  it.each([
    [{ provider: "openai-compatible", model: "gpt-4o-mini" }, "base_url"],
    [{ provider: "openai-compatible", base_url: "https://api.openai.com/v1" }, "model"],
    [{ provider: "workers-ai" }, "model"],
    [{ provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct", base_url: "https://x.dev" }, "base_url"],
    [{ provider: "local", model: "gpt-5" }, "model"],
    [{ provider: "openai-compatible", base_url: "https://x.dev/v1", model: "m", api_key_secret: "lower" }, "api_key_secret"],
    [{ provider: "anthropic" }, "provider"],
  ])("rejects %j naming %s", (config, field) => {
    const result = ModelConfig.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});

describe("provider selection", () => {
  it("picks the AI SDK model for each provider", () => {
    expect(resolveLanguageModel({ provider: "local" }, env)).toBeInstanceOf(LocalLanguageModel);
    const remote = resolveLanguageModel({ provider: "openai-compatible", base_url: "https://api.example.com/v1", model: "gpt-4o-mini" }, env) as {
      provider: string;
      modelId: string;
    };
    expect(remote.modelId).toBe("gpt-4o-mini");
    expect(remote.provider).toContain("openai-compatible");
  });

  it("explains a missing AI binding, secret or unsafe base_url without a network call", () => {
    expect(() => resolveLanguageModel({ provider: "workers-ai", model: "@cf/meta/llama-3.1-8b-instruct" }, env)).toThrow(/AI binding.*wrangler\.toml/);
    expect(() =>
      resolveLanguageModel({ provider: "openai-compatible", base_url: "https://api.example.com/v1", model: "m", api_key_secret: "NOPE_KEY" }, env),
    ).toThrow(/model\.api_key_secret: the secret NOPE_KEY is not set/);
    expect(() => resolveLanguageModel({ provider: "openai-compatible", base_url: "http://127.0.0.1:1/v1", model: "m" }, env)).toThrow(/model\.base_url/);
  });
});

describe("the local model", () => {
  it("answers through generateText, the same way every time", async () => {
    const model = new LocalLanguageModel("local-sentiment");
    const runs = await Promise.all([1, 2, 3].map(() => generateText({ model, prompt: "I love it, works great" })));
    expect(runs.map((r) => r.text)).toEqual(["positive", "positive", "positive"]);
    expect((await generateText({ model, prompt: "it crashes, terrible bug" })).text).toBe("negative");
    expect((await generateText({ model, prompt: "it is a tuesday" })).text).toBe("neutral");
  });

  it("is the default behind runModel, echoing with usage counts", async () => {
    const result = await runModel(undefined, env, "hello there world");
    expect(result).toMatchObject({ text: "hello there world", model: "local:local-echo", usage: { output_tokens: 3 }, finish_reason: "stop" });
  });

  it("answers JSON requests with JSON", async () => {
    const result = await runModel({ provider: "local", model: "local-sentiment" }, env, "great", { json: true });
    expect(result.json).toEqual({ result: "positive" });
  });
});

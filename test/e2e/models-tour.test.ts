/**
 * README tour step 10 and the model walkthrough of docs/agents.md against `wrangler dev`: a model
 * agent on the local model, a code agent using ctx.model, and a batching agent flushed by size and
 * by its timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devApi } from "../support/dev-api";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
const call = (method: string, path: string, body?: unknown) => devApi(dev, method, path, body);

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("README tour 10 and docs/agents.md: models and batching", () => {
  it("answers with a model agent and a code agent using ctx.model, offline", async () => {
    const put = await call("PUT", "/agents/mood", { model: { provider: "local", model: "local-sentiment", system: "Classify the sentiment." } });
    expect(put.status).toBe(200);
    const mood = await call("POST", "/agents/mood/invoke", { content: "Thanks, it works great" });
    expect(mood.body).toMatchObject({ content: "positive", metadata: { model: "local:local-sentiment", usage: { output_tokens: 1 } } });
    const triage = await call("POST", "/agents/feedback-router/invoke", { content: "The export crashes, I want a refund." });
    expect(triage.body.content).toEqual({ sentiment: "negative", route: "support", model: "local:local-sentiment" });
  });

  it("batches by size and flushes a lone message on its timeout", async () => {
    expect((await call("PUT", "/agents/mood-batch", { model: { model: "local-sentiment" }, batch: { size: 3, timeout_ms: 2000 } })).status).toBe(200);
    const replies = await Promise.all(["love it", "it crashes", "meh"].map((content) => call("POST", "/agents/mood-batch/invoke", { content })));
    expect(replies.map((r) => r.body.content)).toEqual(["positive", "negative", "neutral"]);
    expect(replies.map((r) => r.body.metadata.batch.size)).toEqual([3, 3, 3]);
    const alone = await call("POST", "/agents/mood-batch/invoke", { content: "alone" });
    expect(alone.body.metadata.batch).toMatchObject({ size: 1, trigger: "timeout" });
    const log = await call("GET", "/agents/mood-batch/log?limit=10");
    const flushes = log.body.entries.filter((e: { pattern: string }) => e.pattern === "batch").map((e: { detail: string }) => e.detail);
    expect(flushes).toEqual([expect.stringMatching(/^batch size=1 trigger=timeout /), expect.stringMatching(/^batch size=3 trigger=size .*answered=3/)]);
  });
});

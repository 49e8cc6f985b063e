/**
 * How to test an agent you wrote (docs/agents.md, "Testing your agent"). The test runs inside
 * workerd with the real Durable Object and Queue bindings of wrangler.toml, and talks to the
 * worker through its real fetch handler, as a client would: copy this file, rename the agent, and
 * assert what your agent promises.
 */
import { describe, expect, it } from "vitest";
import { api, settled } from "../support/api";

describe("greeter", () => {
  it("greets its caller with the summarizer's summary", async () => {
    const res = await api("POST", "/agents/greeter/invoke", { as: "planner", body: { content: "Ship it. Tell the team." } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: "greeter", to: "planner", content: { greeting: "hello, planner", summary: { summary: "Ship it.", words: 5 } } });
  });

  it("calls the summarizer as itself, in the caller's trace", async () => {
    const res = await api("POST", "/agents/greeter/invoke", { body: { content: "One. Two." } });
    const traceId = res.body.trace.traceparent.split("-")[1];
    const log = await api("GET", "/agents/summarizer/log?limit=50");
    expect(log.body.entries).toContainEqual(
      expect.objectContaining({ direction: "in", from: "greeter", pattern: "ctx.invoke", outcome: "ok", trace_id: traceId }),
    );
  });

  it("answers bad input with a 400 problem that names the field", async () => {
    const res = await api("POST", "/agents/greeter/invoke", { body: { content: "   " } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "invalid_request", detail: expect.stringContaining("content") });
  });

  it("works as an async message through the real queue", async () => {
    const sent = await api("POST", "/agents/greeter/messages", { body: { content: "Queues retry." } });
    expect(sent.status).toBe(202);
    const state = await settled(sent.body.request_id);
    expect(state).toMatchObject({ status: "replied", attempts: 1, reply: { content: { greeting: "hello, admin" } } });
  });
});

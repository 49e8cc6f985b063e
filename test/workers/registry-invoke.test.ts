import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, testServer, uniqueName } from "../support/api";
import { agentObjectStub } from "../support/agent-storage";

describe("health and registry", () => {
  it("serves /health without a key", async () => {
    const res = await api("GET", "/health", { as: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("lists code agents and configured agents", async () => {
    const name = uniqueName("remote");
    const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, description: "remote" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name, kind: "http", acl: { allow: ["*"] }, limits: { max_concurrency: 10, timeout_ms: 30000, max_retries: 3 } });
    const code = await api("GET", "/agents?kind=code");
    expect(code.body.agents.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(["echo", "planner", "summarizer"]));
    const configured = await api("GET", `/agents?prefix=${name}`);
    expect(configured.body).toEqual({ agents: [expect.objectContaining({ name, kind: "http", description: "remote" })], next_cursor: null });
  });

  it("GET /agents/:name shows the entry with live status", async () => {
    const res = await api("GET", "/agents/echo");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "echo", kind: "code", version: "1.0.0", status: { breaker: "closed", in_flight: 0 } });
  });

  it("404s unknown agents and 400s bad names", async () => {
    const missing = await api("GET", "/agents/no-such-agent");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("agent_not_found");
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
    const bad = await api("GET", "/agents/Bad_Name");
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("invalid_request");
  });

  it("PUT on a code agent overrides its config, not its handler; DELETE restores it", async () => {
    const put = await api("PUT", "/agents/summarizer", { body: { limits: { max_concurrency: 3 } } });
    expect(put.status).toBe(200);
    expect(put.body.limits.max_concurrency).toBe(3);
    expect(put.body.kind).toBe("code");
    const reject = await api("PUT", "/agents/summarizer", { body: { kind: "http", url: "https://example.com" } });
    expect(reject.status).toBe(400);
    const del = await api("DELETE", "/agents/summarizer");
    expect(del.status).toBe(204);
    expect((await api("GET", "/agents/summarizer")).body.limits.max_concurrency).toBe(10);
  });

  it("DELETE removes a configured agent", async () => {
    const name = uniqueName("gone");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(204);
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(404);
    const list = await api("GET", `/agents?prefix=${name}`);
    expect(list.body.agents).toEqual([]);
  });

  it("rejects invalid configs naming the field, and stores nothing", async () => {
    const name = uniqueName("bad");
    for (const body of [
      { kind: "http" },
      { kind: "http", url: "not a url" },
      { kind: "http", url: "https://x.dev", limits: { max_concurrency: 0 } },
      { kind: "code" },
      { kind: "http", url: "https://x.dev", surprise: 1 },
    ]) {
      const res = await api("PUT", `/agents/${name}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("invalid_request");
    }
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
  });

  it("keeps the registry and message log across eviction", async () => {
    const name = uniqueName("durable");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } })).status).toBe(200);
    // Log rows are written behind the reply (within LOG_FLUSH_MS); a read writes them at once.
    expect((await api("GET", `/agents/${name}/log`)).body.entries).toHaveLength(1);
    const stub = agentObjectStub(name);
    await evictDurableObject(stub);
    const after = await api("GET", `/agents/${name}`);
    expect(after.status).toBe(200);
    expect(after.body.url).toBe(`${testServer()}/ok/${name}`);
    const log = await api("GET", `/agents/${name}/log`);
    expect(log.body.entries).toHaveLength(1);
    expect(log.body.entries[0]).toMatchObject({ direction: "in", outcome: "ok", pattern: "invoke" });
  });
});

describe("sync invoke", () => {
  it("returns a reply envelope", async () => {
    const res = await api("POST", "/agents/echo/invoke", { body: { content: { hello: "world" }, metadata: { type: "greeting" } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: "reply", from: "echo", content: { hello: "world" }, metadata: { handled_by: "echo", path: ["echo"] } });
    expect(res.body.id).toMatch(/^msg_/);
    expect(typeof res.body.metadata.in_reply_to).toBe("string");
    expect(typeof res.body.metadata.duration_ms).toBe("number");
    expect(res.body.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("keeps the caller's trace id", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await api("POST", "/agents/echo/invoke", { body: { content: 1 }, headers: { traceparent } });
    expect(res.body.trace.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
  });

  it("lets an agent call another with ctx.invoke, logged on both sides", async () => {
    const res = await api("POST", "/agents/planner/invoke", { body: { content: "Ship the release. Tell the team." } });
    expect(res.status).toBe(200);
    expect(res.body.content.summary).toEqual({ summary: "Ship the release.", words: 6 });
    expect(res.body.content.steps).toEqual(["1. Ship the release.", "2. Tell the team."]);
    const log = await api("GET", "/agents/planner/log?limit=5");
    const out = log.body.entries.find((e: { direction: string }) => e.direction === "out");
    expect(out).toMatchObject({ from: "planner", to: "summarizer", pattern: "ctx.invoke", outcome: "ok" });
    const inbound = (await api("GET", "/agents/summarizer/log?limit=5")).body.entries.find((e: { from: string }) => e.from === "planner");
    expect(inbound).toMatchObject({ direction: "in", pattern: "ctx.invoke", outcome: "ok" });
  });

  it("sets from to the authenticated agent", async () => {
    const name = uniqueName("whoami");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: "x", metadata: { from: "admin" } } });
    const calls = (await (await fetch(`${testServer()}/_calls/${name}`)).json()) as Array<{ body: string }>;
    expect(JSON.parse(calls[0]?.body ?? "{}").from).toBe("planner");
  });

  it("404s an unknown agent", async () => {
    const res = await api("POST", "/agents/nobody-here/invoke", { body: { content: "x" } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("agent_not_found");
  });
});

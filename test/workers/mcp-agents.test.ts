/**
 * Every MCP server an agent: `kind: "mcp"` registers a remote MCP server (the loopback one in
 * test/support/mcp-server.ts, built with the same SDK), lists its tools at PUT, and calls one per
 * invocation through the agent's pipeline: breaker, deadline, bounded read, log.
 */
import { describe, expect, it } from "vitest";
import { api, mcpServer, mcpServerCalls, uniqueName } from "../support/api";

async function register(scenario = "mcp", extra: Record<string, unknown> = {}) {
  const name = uniqueName("tools");
  const put = await api("PUT", `/agents/${name}`, { body: { kind: "mcp", url: mcpServer(name, scenario), ...extra } });
  return { name, put };
}

describe("kind mcp", () => {
  it("lists the server's tools at PUT and shows them in GET /agents/:name", async () => {
    const { name, put } = await register();
    expect(put.status).toBe(200);
    const entry = await api("GET", `/agents/${name}`);
    expect(entry.body).toMatchObject({ kind: "mcp", mcp: { server: { name: "example-tools", version: "1.2.0" } } });
    const tools = entry.body.mcp.tools.map((t: { name: string }) => t.name);
    expect(tools).toEqual(["add", "shout", "wait", "fail", "huge"]);
    expect(entry.body.mcp.tools[0]).toMatchObject({ description: "Adds two numbers.", input_schema: { type: "object", required: ["a", "b"] } });
  });

  it("calls a tool with { tool, arguments }: structured content as the reply, and the call in the log", async () => {
    const { name } = await register();
    const res = await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: { tool: "add", arguments: { a: 2, b: 3 } } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: "reply", content: { sum: 5 }, metadata: { mcp_tool: "add", handled_by: name } });
    const text = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "shout", arguments: { text: "hi" } } } });
    expect(text.body.content).toBe("HI");
    const calls = await mcpServerCalls(name);
    expect(calls.map((c) => c.tool)).toEqual(["add", "shout"]);
    expect(calls[0]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
    const log = await api("GET", `/agents/${name}/log`);
    expect(log.body.entries).toContainEqual(expect.objectContaining({ direction: "in", from: "planner", outcome: "ok" }));
  });

  it("refuses content that is not a listed tool with fitting arguments, before the server is called", async () => {
    const { name } = await register();
    const cases: Array<[unknown, string]> = [
      ["add 2 and 3", "content"],
      [{ tool: "subtract", arguments: {} }, "content.tool: "],
      [{ tool: "add", arguments: { a: "two", b: 3 } }, "content.arguments"],
      [{ tool: "add", arguments: [1, 2] }, "content.arguments"],
    ];
    for (const [content, field] of cases) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content } });
      expect(res.status, JSON.stringify(content)).toBe(400);
      expect(res.body).toMatchObject({ code: "invalid_request", detail: expect.stringContaining(field) });
    }
    expect(await mcpServerCalls(name)).toEqual([]);
    expect((await api("GET", `/agents/${name}/breaker`)).body.failures).toBe(0);
  });

  it("answers a tool error as a permanent 502, not counted by the breaker", async () => {
    const { name } = await register();
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "fail" } } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("it broke") });
    expect((await api("GET", `/agents/${name}/breaker`)).body.failures).toBe(0);
  });

  it("bounds a slow server by the deadline (a counted timeout) and a huge answer by the read bound (not counted)", async () => {
    const { name } = await register();
    const slow = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "wait", arguments: { ms: 5000 } }, timeout_ms: 300 } });
    expect(slow.status).toBe(504);
    expect(slow.body.code).toBe("timeout");
    const huge = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "huge" } } });
    expect(huge.status).toBe(502);
    expect(huge.body.detail).toContain("reply too large");
    expect((await api("GET", `/agents/${name}/breaker`)).body.failures).toBe(1);
  });

  it("opens the breaker when the server goes down: its 503s are transient failures", async () => {
    const { name } = await register("mcp", { breaker: { failure_threshold: 2 } });
    await fetch(mcpServer(name, "_down"), { method: "POST" });
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "add", arguments: { a: 1, b: 2 } } } });
      expect(res.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("503") });
    }
    const open = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "add", arguments: { a: 1, b: 2 } } } });
    expect(open.status).toBe(503);
    expect(open.body.code).toBe("circuit_open");
  });

  it("fails a PUT whose server cannot be listed: 400 when it does not speak MCP or refuses us, 502 when it is down", async () => {
    const garbage = await register("garbage");
    expect(garbage.put.status).toBe(400);
    expect(garbage.put.body).toMatchObject({ code: "invalid_request", detail: expect.stringContaining("url: could not list") });
    const refused = await register("auth");
    expect(refused.put.status).toBe(400);
    expect(refused.put.body.detail).toContain("401");
    const down = await register("down");
    expect(down.put.status).toBe(502);
    expect(down.put.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("try again") });
    expect((await api("GET", `/agents/${down.name}`)).status).toBe(404);
    const refusedUrl = await api("PUT", `/agents/${uniqueName("tools")}`, { body: { kind: "mcp", url: "http://169.254.169.254/mcp" } });
    expect(refusedUrl.status).toBe(400);
  });

  it("sends the headers its headers_secret names, and refuses a secret that does not exist", async () => {
    const { name, put } = await register("auth", { headers_secret: "TEST_MCP_AUTH" });
    expect(put.status).toBe(200);
    expect(put.body.headers_secret).toBe("TEST_MCP_AUTH");
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { tool: "add", arguments: { a: 1, b: 1 } } } });
    expect(res.body.content).toEqual({ sum: 2 });
    expect((await mcpServerCalls(name))[0]?.headers.authorization).toBe("Bearer mcp-test-secret");
    const missing = await register("auth", { headers_secret: "NO_SUCH_SECRET" });
    expect(missing.put).toMatchObject({ status: 400, body: { detail: expect.stringContaining("headers_secret: no Worker secret named NO_SUCH_SECRET") } });
  });

  it("refreshes its tools on demand (admin), and only MCP agents have tools to refresh", async () => {
    const { name } = await register();
    const before = (await api("GET", `/agents/${name}`)).body.mcp.listed_at;
    const refreshed = await api("POST", `/agents/${name}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.mcp.listed_at >= before).toBe(true);
    expect(refreshed.body.mcp.tools).toHaveLength(5);
    expect((await api("POST", `/agents/${name}/refresh`, { as: "planner" })).status).toBe(403);
    expect((await api("POST", "/agents/echo/refresh")).status).toBe(400);
    expect((await api("POST", "/agents/nobody-here/refresh")).status).toBe(404);
  });
});

describe("an MCP tool as a model agent's tool", () => {
  it('is called as "<agent>/<tool>": one call from the model agent through the MCP agent\'s pipeline', async () => {
    const { name: mcp } = await register();
    const model = uniqueName("mcp-user");
    const put = await api("PUT", `/agents/${model}`, { body: { model: { provider: "local", model: "local-router" }, tools: [`${mcp}/shout`, "summarizer"] } });
    expect(put.status).toBe(200);
    const res = await api("POST", `/agents/${model}/invoke`, { body: { content: "Shout this please" } });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe("SHOUT THIS PLEASE");
    const [step] = res.body.metadata.steps;
    expect(step).toMatchObject({ type: "tool_call", tool: `${mcp}/shout`, outcome: "ok", message_id: expect.stringMatching(/^msg_/) });
    expect(await mcpServerCalls(mcp)).toMatchObject([{ tool: "shout", arguments: { text: "Shout this please" } }]);
    const log = await api("GET", `/agents/${mcp}/log`);
    expect(log.body.entries).toContainEqual(expect.objectContaining({ id: step.message_id, direction: "in", from: model, pattern: "tool", outcome: "ok" }));
  });

  it("passes the MCP agent's ACL: a refused call goes back to the model with its code", async () => {
    const { name: mcp } = await register("mcp", { acl: { allow: ["planner"] } });
    const model = uniqueName("mcp-user");
    await api("PUT", `/agents/${model}`, { body: { model: { provider: "local", model: "local-router" }, tools: [`${mcp}/shout`] } });
    const res = await api("POST", `/agents/${model}/invoke`, { body: { content: "Shout this" } });
    expect(res.body.metadata.steps).toEqual([expect.objectContaining({ tool: `${mcp}/shout`, outcome: "forbidden" })]);
    expect(await mcpServerCalls(mcp)).toEqual([]);
  });

  it("must name a tool the MCP agent listed", async () => {
    const { name: mcp } = await register();
    const res = await api("PUT", `/agents/${uniqueName("mcp-user")}`, { body: { model: { model: "local-router" }, tools: [`${mcp}/subtract`] } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain(`tools[0]: the MCP agent ${mcp} has no tool subtract (tools: add, shout, wait, fail, huge)`);
  });
});

/**
 * Every agent an MCP tool: the MCP SDK's own client (`Client` + `StreamableHTTPClientTransport`)
 * lists and calls Switchboard agents through the worker's fetch handler (`POST /mcp`,
 * `POST /mcp/:name`), with the keys and ACLs of every other route.
 */
import { exports } from "cloudflare:workers";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { aborted, api, arrived, eventually, holdingAgent, inboundRow, testServer, uniqueName } from "../support/api";
import { auth } from "../support/keys";
import { mcpClient } from "../support/mcp-client";

const MCP_HEADERS = { accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };

/** A raw JSON-RPC POST, for what the SDK's client would never send. */
function rawMcp(body: string, headers: Record<string, string> = {}, path = "/mcp", init: RequestInit = {}) {
  return exports.default.fetch(
    new Request(`http://switchboard.test${path}`, { method: "POST", headers: { ...auth("admin"), ...MCP_HEADERS, ...headers }, body, ...init }),
  );
}

describe("POST /mcp: agents as tools", () => {
  it("lists agents with their description and input schema, and calls one from the key's principal", async () => {
    const { client } = await mcpClient("/mcp", "planner");
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === "echo")).toMatchObject({
      description: expect.any(String),
      inputSchema: { type: "object", properties: { content: { type: "string" } }, required: ["content"] },
    });
    const result = await client.callTool({ name: "echo", arguments: { content: "hello" } });
    expect(result).toMatchObject({ content: [{ type: "text", text: "hello" }], structuredContent: { content: "hello" } });
    const sent = (result._meta as Record<string, { metadata: { in_reply_to: string } }>)["switchboard.dev/reply"]?.metadata.in_reply_to;
    const log = await eventually(async () => {
      const rows = (await api("GET", "/agents/echo/log")).body.entries;
      return rows.find((row: { id: string }) => row.id === sent);
    });
    expect(log).toMatchObject({ direction: "in", from: "planner", pattern: "mcp", outcome: "ok" });
    await client.close();
  });

  it("reflects registrations and removals, and hides what the key's ACL does not allow", async () => {
    const name = uniqueName("mcp-new");
    const { client } = await mcpClient("/mcp", "planner");
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain(name);
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, description: "Weather by city.", input_schema: schema } });
    expect((await client.listTools()).tools.find((t) => t.name === name)).toEqual({ name, description: "Weather by city.", inputSchema: schema });
    const answered = await client.callTool({ name, arguments: { city: "Lisbon" } });
    expect(answered.structuredContent).toMatchObject({ content: { echoed: { city: "Lisbon" } } });

    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: ["summarizer"] } } });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain(name);
    const hidden = await client.callTool({ name, arguments: { content: "x" } }).catch((e: unknown) => e);
    expect(hidden).toBeInstanceOf(McpError);
    expect(hidden).toMatchObject({ code: -32602, message: expect.stringContaining(`Unknown tool: ${name}`) });
    const asSummarizer = await mcpClient("/mcp", "summarizer");
    expect((await asSummarizer.client.listTools()).tools.map((t) => t.name)).toContain(name);

    await api("DELETE", `/agents/${name}`);
    expect((await asSummarizer.client.listTools()).tools.map((t) => t.name)).not.toContain(name);
    await client.close();
    await asSummarizer.client.close();
  });

  it("answers a Switchboard failure as a tool error carrying the problem code", async () => {
    const { client } = await mcpClient("/mcp");
    const result = await client.callTool({ name: "greeter", arguments: { content: "   " } });
    expect(result).toMatchObject({ isError: true, structuredContent: { code: "invalid_request", status: 400 } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toMatch(/^invalid_request: content/);

    const failing = uniqueName("mcp-fail");
    await api("PUT", `/agents/${failing}`, { body: { kind: "http", url: `${testServer()}/status/500/${failing}` } });
    expect(await client.callTool({ name: failing, arguments: { content: "x" } })).toMatchObject({
      isError: true,
      structuredContent: { code: "agent_error", status: 502 },
    });
    await client.close();
  });

  it("checks arguments against the tool's schema before anyone is called", async () => {
    const { client } = await mcpClient("/mcp");
    const result = await client.callTool({ name: "echo", arguments: { text: "no content field" } });
    expect(result).toMatchObject({ isError: true, structuredContent: { code: "invalid_request" } });
    const unknown = await client.callTool({ name: "nobody-here", arguments: {} }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: -32602 });
    await client.close();
  });

  it("pages tools/list with the protocol's cursor and refuses a cursor it never gave", async () => {
    const { client } = await mcpClient("/mcp");
    const first = await client.listTools();
    expect(first.tools.length).toBeGreaterThan(0);
    const bad = await client.listTools({ cursor: "bm90LW91cnM=" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: -32602, message: expect.stringContaining("cursor") });
    await client.close();
  });
});

describe("POST /mcp/:name: one agent", () => {
  it("serves exactly that agent", async () => {
    const { client } = await mcpClient("/mcp/echo", "planner");
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
    expect((await client.callTool({ name: "summarizer", arguments: { content: "x" } }).catch((e: unknown) => e)) as McpError).toMatchObject({ code: -32602 });
    await client.close();
  });

  it("answers 400, 403 and 404 at the HTTP edge, before MCP", async () => {
    const hidden = uniqueName("mcp-private");
    await api("PUT", `/agents/${hidden}`, { body: { kind: "http", url: `${testServer()}/ok/${hidden}`, acl: { allow: ["summarizer"] } } });
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    expect((await rawMcp(init, auth("planner"), `/mcp/${hidden}`)).status).toBe(403);
    expect((await rawMcp(init, {}, "/mcp/nobody-at-all")).status).toBe(404);
    const bad = await rawMcp(init, {}, "/mcp/Not_A_Name");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("MCP progress: a streaming agent's deltas", () => {
  it("come as progress notifications before the result, when the client asks for progress", async () => {
    const { client } = await mcpClient("/mcp");
    const notes: Array<{ progress: number; message?: string }> = [];
    const result = await client.callTool({ name: "narrator", arguments: { content: "one two three" } }, undefined, { onprogress: (p) => notes.push(p) });
    expect(result.isError).toBeFalsy();
    const text = (result.content as Array<{ text: string }>)[0]?.text;
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes.map((n) => n.progress)).toEqual(notes.map((_, i) => i + 1));
    expect(notes[0]?.message).toBe("echo: ");
    expect(notes.map((n) => n.message).join("")).toBe(text);
    await client.close();
  });

  it("a cancellation cancels a call made as a stream", async () => {
    const { name } = await holdingAgent();
    const { client } = await mcpClient("/mcp");
    const cancel = new AbortController();
    const pending = client
      .callTool({ name, arguments: { content: "wait" } }, undefined, { signal: cancel.signal, onprogress: () => {} })
      .catch((e: unknown) => e);
    await arrived(name);
    cancel.abort("the user changed their mind");
    await pending;
    expect((await aborted(name)).aborted).toBe(true);
    expect((await inboundRow(name, "cancelled")).pattern).toBe("mcp");
    await client.close();
  });
});

describe("MCP sessions and cancellation", () => {
  it("a cancellation notification cancels the call where it runs, down to the remote agent", async () => {
    const { name } = await holdingAgent();
    const { client, transport } = await mcpClient("/mcp");
    expect(transport.sessionId).toMatch(/^mcp1\./);
    const cancel = new AbortController();
    const pending = client.callTool({ name, arguments: { content: "wait" } }, undefined, { signal: cancel.signal }).catch((e: unknown) => e);
    await arrived(name);
    cancel.abort("the user changed their mind");
    await pending;
    expect((await aborted(name)).aborted).toBe(true);
    expect((await inboundRow(name, "cancelled")).pattern).toBe("mcp");
    expect((await api("GET", `/agents/${name}/breaker`)).body.failures).toBe(0);
    await client.close();
  });

  it("a client that disconnects cancels its call", async () => {
    const { name } = await holdingAgent();
    const gone = new AbortController();
    const call = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: { content: "wait" } } });
    const pending = rawMcp(call, {}, "/mcp", { signal: gone.signal })
      .then((r) => r.text())
      .catch((e: unknown) => e);
    await arrived(name);
    gone.abort();
    await pending;
    expect((await aborted(name)).aborted).toBe(true);
    expect((await inboundRow(name, "cancelled")).pattern).toBe("mcp");
  });

  it("refuses a session id it never gave, or gave another key, with the protocol's 404", async () => {
    const { transport } = await mcpClient("/mcp", "planner");
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const forged = await rawMcp(list, { "mcp-session-id": "mcp1.AAAAAAAAAAAAAAAAAAAAAA.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(forged.status).toBe(404);
    expect(await forged.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" } });
    const stolen = await rawMcp(list, { ...auth("summarizer"), "mcp-session-id": transport.sessionId as string });
    expect(stolen.status).toBe(404);
    const own = await rawMcp(list, { ...auth("planner"), "mcp-session-id": transport.sessionId as string });
    expect(own.status).toBe(200);
  });
});

describe("MCP bad input", () => {
  it("answers 401 without a key, before any MCP handling", async () => {
    const res = await exports.default.fetch(new Request("http://switchboard.test/mcp", { method: "POST", headers: MCP_HEADERS, body: "{}" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    await expect(mcpClient("/mcp", null)).rejects.toThrow(/401/);
  });

  it("answers malformed JSON-RPC, oversized bodies, a wrong Accept, GET and DELETE with the transport's errors", async () => {
    const parse = await rawMcp("{not json");
    expect(parse.status).toBe(400);
    expect(await parse.json()).toMatchObject({ error: { code: -32700 } });
    const notRpc = await rawMcp(JSON.stringify({ hello: "world" }));
    expect(notRpc.status).toBe(400);
    expect(await notRpc.json()).toMatchObject({ error: { code: -32700 } });
    const huge = await rawMcp(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(300_000) } }));
    expect(huge.status).toBe(413);
    expect((await rawMcp("{}", { accept: "text/html" })).status).toBe(406);
    const unknownMethod = await rawMcp(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "resources/list" }));
    expect(await unknownMethod.text()).toContain("-32601");
    for (const method of ["GET", "DELETE"]) {
      const res = await exports.default.fetch(new Request("http://switchboard.test/mcp", { method, headers: { ...auth("admin"), ...MCP_HEADERS } }));
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("a tool call whose agent asks for input waits as a request, and says where to answer it (with and without progress)", async () => {
    const { client } = await mcpClient("/mcp");
    for (const options of [undefined, { onprogress: () => {} }]) {
      const result = await client.callTool({ name: "approver", arguments: { item: "laptop", amount: 1200 } }, undefined, options);
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const waiting = result.structuredContent as { request_id: string; status: string; status_url: string; input_required: { question: string } };
      expect(waiting).toMatchObject({
        status: "input_required",
        status_url: `/requests/${waiting.request_id}`,
        input_required: { question: "Approve 1200 for laptop?" },
      });
      expect((result.content as Array<{ text: string }>)[0]?.text).toContain(`POST /requests/${waiting.request_id}/input`);
      expect((await api("GET", `/requests/${waiting.request_id}`)).body.status).toBe("input_required");
    }
    await client.close();
  });
});

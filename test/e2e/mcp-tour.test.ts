/**
 * The README's two MCP steps (14 and 15) against `wrangler dev`. Connect an MCP client: the official SDK's
 * `Client` with `StreamableHTTPClientTransport`, unmodified, lists and calls Switchboard agents at
 * `/mcp` with a key, is refused without one, and sees only what its key's ACLs allow. An MCP server
 * as an agent: examples/mcp-server.mjs (the same SDK) registered as `kind: "mcp"`, its tools listed,
 * one called, and a model agent using one as `"<agent>/<tool>"`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devApi } from "../support/dev-api";
import { DEV_ADMIN_KEY, type DevServer, freePort, startWranglerDev } from "../support/wrangler-dev";

const PLANNER_KEY = "sk_e2e_planner";
let dev: DevServer;
let example: ChildProcess;
let exampleUrl: string;
const headers = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

const call = (method: string, path: string, body?: unknown) => devApi(dev, method, path, body);

/** The SDK's client as an MCP client app would configure it: the URL and an Authorization header. */
async function connect(key: string | null): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${dev.url}/mcp`), key ? { requestInit: { headers: { Authorization: `Bearer ${key}` } } } : {});
  const client = new Client({ name: "e2e-mcp-client", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);

beforeAll(async () => {
  const port = await freePort();
  exampleUrl = `http://127.0.0.1:${port}/mcp`;
  example = spawn(process.execPath, ["examples/mcp-server.mjs", String(port)], { stdio: "pipe" });
  await new Promise<void>((resolve) => example.stdout?.once("data", () => resolve()));
  dev = await startWranglerDev();
});
afterAll(async () => {
  example?.kill();
  await dev?.stop();
});

describe("README: connect an MCP client", () => {
  it("lists every agent as a tool and calls one, with the admin key", async () => {
    const client = await connect(DEV_ADMIN_KEY);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "summarizer", "concierge"]));
    expect(tools.find((t) => t.name === "summarizer")?.inputSchema).toMatchObject({ type: "object" });
    const result = await client.callTool({ name: "summarizer", arguments: { content: "Ship it. Tell the team." } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ content: { summary: "Ship it.", words: 5 } });
    // A streaming agent's deltas come as progress notifications, over wrangler dev's real SSE.
    const progress: string[] = [];
    const narrated = await client.callTool({ name: "narrator", arguments: { content: "hi" } }, undefined, {
      onprogress: ({ message }) => progress.push(message ?? ""),
    });
    expect(progress).toEqual(["echo: ", "hi"]);
    expect((narrated.content as Array<{ text: string }>)[0]?.text).toBe("echo: hi");
    await client.close();
  });

  it("answers the README's curl: tools/list as one POST, the answer an SSE event", async () => {
    const res = await fetch(`${dev.url}/mcp`, {
      method: "POST",
      headers: { ...headers, accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(200);
    const data = (await res.text()).split("\n").find((line) => line.startsWith("data: "));
    const tools = (JSON.parse(data?.slice("data: ".length) ?? "null") as { result: { tools: Array<{ name: string }> } }).result.tools;
    // The tools are the directory's agents in its order: the first is the one the README's comment shows.
    const directory = (await call("GET", "/agents")).body as { agents: Array<{ name: string }> };
    expect(tools[0]?.name).toBe(directory.agents[0]?.name);
    expect(tools.map((t) => t.name)).toContain("echo");
  });

  it("is refused without a key", async () => {
    await expect(connect(null)).rejects.toThrow(/401/);
    await expect(connect("sk_not_a_key")).rejects.toThrow(/401/);
  });

  it("shows an agent key only the agents whose ACL allows it, and follows registrations and removals", async () => {
    const client = await connect(PLANNER_KEY);
    expect(await names(client)).toContain("echo");
    const put = await call("PUT", "/agents/vault", { model: { provider: "local", model: "local-sentiment" }, acl: { allow: ["auditor"] } });
    expect(put.status).toBe(200);
    expect(await names(client)).not.toContain("vault");
    const hidden = await client.callTool({ name: "vault", arguments: { content: "open" } }).catch((e: unknown) => e);
    expect(hidden).toBeInstanceOf(McpError);
    expect(hidden).toMatchObject({ code: -32602 });
    const admin = await connect(DEV_ADMIN_KEY);
    expect(await names(admin)).toContain("vault");
    await call("PUT", "/agents/vault", { model: { provider: "local", model: "local-sentiment" } });
    expect(await names(client)).toContain("vault");
    expect((await client.callTool({ name: "vault", arguments: { content: "Thanks, it works great" } })).structuredContent).toEqual({ content: "positive" });
    expect((await call("DELETE", "/agents/vault")).status).toBe(204);
    expect(await names(admin)).not.toContain("vault");
    await client.close();
    await admin.close();
  });
});

describe("README: an MCP server as an agent", () => {
  it("registers the example server, lists its tools, calls one, and a model agent uses another", async () => {
    const put = await call("PUT", "/agents/tools", { kind: "mcp", url: exampleUrl });
    expect(put.status).toBe(200);
    const entry = await call("GET", "/agents/tools");
    expect(entry.body.mcp.tools.map((t: { name: string }) => t.name)).toEqual(["add", "shout"]);
    const sum = await call("POST", "/agents/tools/invoke", { content: { tool: "add", arguments: { a: 2, b: 3 } } });
    expect(sum.body).toMatchObject({ content: { sum: 5 }, metadata: { mcp_tool: "add", handled_by: "tools" } });

    const helper = await call("PUT", "/agents/helper", { model: { provider: "local", model: "local-router" }, tools: ["tools/shout", "summarizer"] });
    expect(helper.status).toBe(200);
    const shouted = await call("POST", "/agents/helper/invoke", { content: "Shout: ship it" });
    expect(shouted.body.content).toBe("SHOUT: SHIP IT");
    expect(shouted.body.metadata.steps).toEqual([expect.objectContaining({ type: "tool_call", tool: "tools/shout", outcome: "ok" })]);
    const log = await call("GET", "/agents/tools/log?limit=5");
    expect(log.body.entries).toContainEqual(expect.objectContaining({ direction: "in", from: "helper", pattern: "tool", outcome: "ok" }));
  });
});

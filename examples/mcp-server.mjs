#!/usr/bin/env node
// An MCP server to register as a `kind: "mcp"` agent, for the README tour and docs/mcp.md. Built
// with the official SDK (`McpServer` and its Streamable HTTP transport, stateless), as any of the
// thousands of MCP servers out there are.
//
//   node examples/mcp-server.mjs [port]        (default 8789; endpoint http://127.0.0.1:<port>/mcp)
//
// Tools: `add` ({ a, b } → the sum, also as structuredContent { sum }) and `shout` ({ text } → upper case).
// The tests serve the same tools (test/support/mcp-server.ts), plus a few that misbehave.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/** A server with the example tools; `more` may register others. */
export function exampleMcpServer(more = () => {}) {
  const server = new McpServer({ name: "example-tools", version: "1.2.0" });
  server.registerTool(
    "add",
    { description: "Adds two numbers.", inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }], structuredContent: { sum: a + b } }),
  );
  server.registerTool("shout", { description: "Shouts a text: upper case.", inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text: text.toUpperCase() }],
  }));
  more(server);
  return server;
}

/** Serves one MCP request: a server and transport of its own, as the SDK's stateless example does. */
export async function serveMcpRequest(server, req, res, body) {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8789);
  const http = createServer(async (req, res) => {
    if ((req.url ?? "/").split("?")[0] !== "/mcp") return void res.writeHead(404).end("the MCP endpoint is /mcp");
    await serveMcpRequest(exampleMcpServer(), req, res);
  });
  http.listen(port, "127.0.0.1", () => console.log(`MCP server on http://127.0.0.1:${port}/mcp (tools: add, shout)`));
}

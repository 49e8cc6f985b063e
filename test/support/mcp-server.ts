/**
 * A loopback MCP server built with the same SDK (`McpServer` and its Streamable HTTP transport
 * on plain node http, stateless), standing in for the thousands of MCP servers a `kind: "mcp"`
 * agent can register. Behaviour by path:
 *
 *   /mcp/<key>       the tools below
 *   /auth/<key>      the same, only with `Authorization: Bearer mcp-test-secret` (else 401)
 *   /garbage/<key>   200 text/html for everything (a server that does not speak MCP)
 *   /down/<key>      503 for everything
 *   /_calls/<key>    the tools/call requests <key> received: [{ tool, arguments, headers }]
 *   POST /_down/<key>  from now on /mcp/<key> answers 503 (a server that went down)
 *
 * Tools: the example server's `add` ({ a, b } → text and structuredContent { sum }) and `shout`
 * ({ text } → upper case) (examples/mcp-server.mjs), and `wait` ({ ms } → answers after ms, at most
 * 30 s), `fail` (a tool error), `huge` (a 2 MiB text).
 */
import { createServer, type Server } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { exampleMcpServer, serveMcpRequest } from "../../examples/mcp-server.mjs";
import { flatHeaders, readBody, safeJson } from "./loopback-http.ts";

export const MCP_TEST_SECRET = "Bearer mcp-test-secret";

interface ToolCall {
  tool: string;
  arguments: unknown;
  headers: Record<string, string>;
}

function toolServer(): McpServer {
  return exampleMcpServer((server: McpServer) => {
    server.registerTool(
      "wait",
      { description: "Answers after ms milliseconds.", inputSchema: { ms: z.number().int().min(0).max(30_000) } },
      async ({ ms }, extra) => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          extra.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return { content: [{ type: "text", text: `waited ${ms}` }] };
      },
    );
    server.registerTool("fail", { description: "Always fails." }, async () => ({ isError: true, content: [{ type: "text", text: "it broke" }] }));
    server.registerTool("huge", { description: "A 2 MiB answer." }, async () => ({ content: [{ type: "text", text: "x".repeat(2 * 1024 * 1024) }] }));
  });
}

export function startMcpServer(port = 0): Promise<{ server: Server; port: number }> {
  const calls = new Map<string, ToolCall[]>();
  const down = new Set<string>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, scenario = "", key = ""] = url.pathname.split("/");
    if (scenario === "_calls") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(calls.get(key) ?? []));
      return;
    }
    if (scenario === "_down") {
      down.add(key);
      return void res.writeHead(204).end();
    }
    if (scenario === "down" || down.has(key)) return void res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
    if (scenario === "garbage") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>not MCP</html>");
    if (scenario !== "mcp" && scenario !== "auth") return void res.writeHead(404).end();
    const headers = flatHeaders(req);
    if (scenario === "auth" && headers.authorization !== MCP_TEST_SECRET) {
      return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
    }
    const body = safeJson<{ method?: string; params?: { name?: string; arguments?: unknown } }>(await readBody(req));
    if (body?.method === "tools/call") {
      const list = calls.get(key) ?? [];
      list.push({ tool: String(body.params?.name), arguments: body.params?.arguments, headers });
      calls.set(key, list);
    }
    await serveMcpRequest(toolServer(), req, res, body);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

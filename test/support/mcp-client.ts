/**
 * The MCP SDK's own client (`Client` + `StreamableHTTPClientTransport`), unmodified, pointed at
 * the worker under test through its real fetch handler, carrying a key as a Bearer header.
 */
import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { KEYS } from "./keys";

export interface McpConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/** A connected client for `path` (`/mcp`, `/mcp/<agent>`) as `who` (null: no key). */
export async function mcpClient(path: string, who: keyof typeof KEYS | null = "admin"): Promise<McpConnection> {
  const transport = new StreamableHTTPClientTransport(new URL(`http://switchboard.test${path}`), {
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    ...(who ? { requestInit: { headers: { authorization: `Bearer ${KEYS[who]}` } } } : {}),
  });
  const client = new Client({ name: "switchboard-tests", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  await client.connect(transport);
  return { client, transport };
}

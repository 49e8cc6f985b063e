/**
 * Remote MCP servers (`kind: "mcp"`): the SDK's `Client` over its Streamable HTTP transport. The
 * server's tools are listed at registration (and on `POST /agents/:name/refresh`) and kept in the
 * entry; each call is one `tools/call` on a fresh connection, so nothing is held between calls.
 * Every request goes through the SSRF-guarded fetch (redirects refused: register the final URL),
 * every answer is read within a bound, and failures are classified like HTTP agents: network
 * errors, 408/429/5xx and JSON-RPC internal errors are transient (the breaker counts them); a
 * tool error, any other JSON-RPC error or an answer that is not MCP is permanent.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import type { McpRemote, McpTool } from "../registry/entry";
import { z } from "@hono/zod-openapi";
import { checkAgainst, schemaProblem } from "../registry/input-schema";
import { isTransientStatus } from "../resilience/retry";
import { outboundFetch } from "./outbound-fetch";

const CLIENT_INFO = { name: "switchboard", version: "1.0.0" };
/** Tools kept of one server; pages read at most. */
export const MAX_MCP_TOOLS = 128;
const MAX_PAGES = 10;
const MAX_DESCRIPTION = 2000;
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface McpCallOptions {
  dev: boolean;
  /** Headers every request carries (the agent's `headers_secret`), plus the call's traceparent. */
  headers: Record<string, string>;
  maxBytes: number;
  signal: AbortSignal;
  /** Milliseconds the request may take (the SDK's own timeout, inside the deadline). */
  timeoutMs: number;
}

/** Opens a connection, runs `use`, closes it. */
async function withClient<T>(url: string, who: string, options: McpCallOptions, use: (client: Client, signal: AbortSignal) => Promise<T>): Promise<T> {
  // A body over the bound, or one of our errors the client only reports to onerror, fails the
  // request at once rather than leaving it to the deadline.
  const failed = new AbortController();
  const signal = AbortSignal.any([options.signal, failed.signal]);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: outboundFetch({ dev: options.dev, maxBytes: options.maxBytes, redirects: "refuse", who, onTooLarge: (error) => failed.abort(error) }).fetch,
    requestInit: { headers: options.headers },
  });
  const client = new Client(CLIENT_INFO, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  client.onerror = (error) => {
    const own = ownError(error);
    if (own) failed.abort(own);
  };
  try {
    await client.connect(transport, { signal, timeout: options.timeoutMs });
    return await use(client, signal);
  } catch (error) {
    throw classify(error, who, signal);
  } finally {
    await client.close().catch(() => {});
  }
}

/** Lists the server's tools (all pages, at most MAX_MCP_TOOLS); what the registry keeps. */
export async function listMcpTools(url: string, who: string, options: McpCallOptions): Promise<McpRemote> {
  return withClient(url, who, options, async (client, signal) => {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES && tools.length < MAX_MCP_TOOLS; page++) {
      const listed = await client.listTools(cursor ? { cursor } : {}, { signal, timeout: options.timeoutMs });
      for (const tool of listed.tools) {
        if (tools.length >= MAX_MCP_TOOLS || !TOOL_NAME.test(tool.name)) continue;
        const schema = tool.inputSchema as Record<string, unknown>;
        tools.push({
          name: tool.name,
          description: (tool.description ?? tool.title ?? "").slice(0, MAX_DESCRIPTION),
          // A schema we could not check arguments against is kept as "any object".
          input_schema: schemaProblem(schema) ? { type: "object" } : schema,
        });
      }
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    const server = client.getServerVersion();
    return { server: { name: server?.name ?? "", version: server?.version ?? "" }, tools, listed_at: new Date().toISOString() };
  });
}

/** One `tools/call`; the result as a reply: structured content when there is some, else the text. */
export async function callMcpTool(
  url: string,
  who: string,
  tool: string,
  args: Record<string, unknown>,
  options: McpCallOptions,
): Promise<{ content: unknown; metadata: Metadata }> {
  const result = (await withClient(url, who, options, (client, signal) =>
    client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: options.timeoutMs }),
  )) as CallToolResult;
  const text = result.content
    .filter((part) => part.type === "text")
    .map((part) => part.text)
    .join("\n");
  if (result.isError) throw new SwitchboardError("agent_error", `${who}: tool ${tool} failed: ${text.slice(0, 500) || "no detail"}`, { transient: false });
  const onlyText = result.content.every((part) => part.type === "text");
  const content = result.structuredContent ?? (onlyText ? text : result.content);
  return { content, metadata: { mcp_tool: tool } };
}

function ownError(error: unknown): SwitchboardError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof SwitchboardError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function classify(error: unknown, who: string, signal: AbortSignal): unknown {
  const own = ownError(error) ?? (signal.reason instanceof SwitchboardError ? signal.reason : null);
  if (own) return own;
  if (signal.aborted) return signal.reason ?? error;
  const message = ((error as Error)?.message ?? String(error)).slice(0, 300);
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return new SwitchboardError("timeout", `${who} did not answer in time`);
    return new SwitchboardError("agent_error", `${who} answered JSON-RPC error ${error.code}: ${message}`, {
      transient: error.code === ErrorCode.InternalError,
    });
  }
  if (error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0) {
    return new SwitchboardError("agent_error", `${who} answered ${error.code}: ${message}`, { transient: isTransientStatus(error.code) });
  }
  if (error instanceof TypeError) return new SwitchboardError("agent_error", `could not reach ${who}: ${message}`, { transient: true });
  // A 2xx the client could not read as MCP is the remote's bug, not something a retry fixes.
  return new SwitchboardError("agent_error", `${who} did not answer as an MCP server: ${message}`, { transient: false });
}

const McpCallContent = z.strictObject({
  tool: z.string().min(1).max(128),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

/** What `POST /agents/:name/invoke` asks an MCP agent: `{ tool, arguments }`, checked against the listed tools. */
export function mcpCallOf(agent: string, remote: McpRemote, content: unknown): { tool: string; args: Record<string, unknown> } {
  const parsed = McpCallContent.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SwitchboardError(
      "invalid_request",
      `content${issue?.path.length ? `.${issue.path.join(".")}` : ""}: ${issue?.message ?? "invalid"}; an MCP agent takes { "tool", "arguments" }`,
    );
  }
  const { tool, arguments: args = {} } = parsed.data;
  const listed = remote.tools.find((t) => t.name === tool);
  if (!listed) {
    const names = remote.tools.map((t) => t.name).join(", ") || "none";
    throw new SwitchboardError(
      "invalid_request",
      `content.tool: ${agent} has no tool ${tool} (tools: ${names}); POST /agents/${agent}/refresh if the server added it`,
    );
  }
  const check = checkAgainst(listed.input_schema, args);
  if (!check.ok) throw new SwitchboardError("invalid_request", `content.arguments ${check.detail}`);
  return { tool, args };
}

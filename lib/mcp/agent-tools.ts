/**
 * Switchboard's agents as MCP tools: what `tools/list` shows of an agent, in pages, and what a
 * `tools/call` result says of its reply or failure. The tool name is the agent's name; its
 * description and `inputSchema` come from the registry entry (the agent's `input_schema`, else
 * `{ content }`, exactly as model agents see it: lib/registry/input-schema.ts `toolArguments`).
 */
import { type CallToolResult, ErrorCode, McpError, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Envelope } from "../message/envelope";
import { ERROR_STATUS, type Failure } from "../message/errors";
import { inputRequestOf } from "../message/input-required";
import type { AgentEntry } from "../registry/entry";
import { type JsonSchema, toolArguments } from "../registry/input-schema";

/** Tools per `tools/list` page. @default 100 */
export const TOOLS_PAGE_SIZE = 100;

/** The `_meta` key a result carries the reply's id, path and trace under. */
export const REPLY_META = "switchboard.dev/reply";

/**
 * What an agent takes as a tool: its `input_schema`; an MCP agent without one takes
 * `{ tool, arguments }` naming one of its server's tools.
 */
export function inputSchemaOf(entry: AgentEntry): JsonSchema | undefined {
  if (entry.input_schema || !entry.mcp) return entry.input_schema;
  return {
    type: "object",
    properties: { tool: { type: "string", enum: entry.mcp.tools.map((t) => t.name) }, arguments: { type: "object" } },
    required: ["tool"],
  };
}

export function agentTool(entry: AgentEntry): Tool {
  return {
    name: entry.name,
    description: entry.description || `The ${entry.name} agent (${entry.kind}).`,
    inputSchema: toolArguments(inputSchemaOf(entry)).parameters as Tool["inputSchema"],
  };
}

/**
 * One page of tools, by name, after `cursor` (the protocol's opaque cursor: here the last name of
 * the previous page). A cursor that is not one of ours is the protocol's invalid-params error.
 */
export function toolsPage(entries: readonly AgentEntry[], cursor: string | undefined, size = TOOLS_PAGE_SIZE): { tools: Tool[]; nextCursor?: string } {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const rest = after === null ? sorted : sorted.filter((e) => e.name > after);
  const page = rest.slice(0, size);
  const last = page.at(-1);
  return { tools: page.map(agentTool), ...(rest.length > size && last ? { nextCursor: encodeCursor(last.name) } : {}) };
}

function encodeCursor(name: string): string {
  return btoa(`after:${name}`);
}

function decodeCursor(cursor: string): string {
  let text = "";
  try {
    text = atob(cursor);
  } catch {
    // Not base64: the same answer as any other foreign cursor.
  }
  if (!/^after:[a-z0-9][a-z0-9-]{0,62}$/.test(text)) throw new McpError(ErrorCode.InvalidParams, "cursor: not a cursor this server gave");
  return text.slice("after:".length);
}

/** A reply as a tool result: the content as text, and as structured content `{ content }`. */
export function replyResult(reply: Envelope): CallToolResult {
  const text = typeof reply.content === "string" ? reply.content : JSON.stringify(reply.content);
  const asked = inputRequestOf(reply);
  const requestId = reply.metadata.request_id;
  if (asked && typeof requestId === "string") {
    // The agent asked: the call waits as a request, and the tool's result says where to answer it.
    const statusUrl = `/requests/${requestId}`;
    return {
      content: [{ type: "text", text: `${asked.question}\n(waiting for input: answer with POST ${statusUrl}/input)` }],
      structuredContent: { request_id: requestId, status: "input_required", status_url: statusUrl, input_required: asked },
      _meta: { [REPLY_META]: { id: reply.id, metadata: reply.metadata, traceparent: reply.trace.traceparent } },
    };
  }
  return {
    content: [{ type: "text", text }],
    structuredContent: { content: reply.content },
    _meta: { [REPLY_META]: { id: reply.id, metadata: reply.metadata, traceparent: reply.trace.traceparent } },
  };
}

/**
 * A Switchboard failure as a tool error (not a protocol error: the call was made, the agent
 * failed), its text starting with the problem code, as model agents see tool errors.
 */
export function failureResult(failure: Pick<Failure, "code" | "detail" | "retry_after">): CallToolResult {
  const problem = {
    code: failure.code,
    status: ERROR_STATUS[failure.code],
    detail: failure.detail,
    ...(failure.retry_after !== undefined ? { retry_after: failure.retry_after } : {}),
  };
  return { isError: true, content: [{ type: "text", text: `${failure.code}: ${failure.detail}` }], structuredContent: problem };
}

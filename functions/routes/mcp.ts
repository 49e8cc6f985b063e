/**
 * MCP: every agent a tool. `POST /mcp` serves the agents the caller's key may invoke, `POST
 * /mcp/:name` one agent, over Streamable HTTP (lib/mcp/agent-server.ts). Stateless per request;
 * the session id answered to `initialize` is a token bound to the caller's key
 * (lib/mcp/session-token.ts), checked here before anything else, and the only thing it is for is
 * letting a cancellation find its call (lib/mcp/cancel-board.ts). `GET` (a server-to-client
 * stream) and `DELETE` (ending a session) are 405, as the transport allows a server without them.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentRef } from "../../lib/agents/agent-ref";
import { type McpServePorts, serveMcp } from "../../lib/mcp/agent-server";
import { mcpSession } from "../../lib/mcp/cancel-board";
import { issueMcpSession, verifyMcpSession } from "../../lib/mcp/session-token";
import type { InvokeResult } from "../../lib/message/call";
import { AgentName, type Envelope } from "../../lib/message/envelope";
import { inputRequestOf } from "../../lib/message/input-required";
import { SwitchboardError } from "../../lib/message/errors";
import { directory } from "../../lib/registry/directory";
import type { AgentEntry } from "../../lib/registry/entry";
import { mayCall } from "../../lib/security/acl";
import { bearerKey, senderOf } from "../../lib/security/keys";
import { codeEntriesOf } from "../agents";
import type { AppEnv } from "../http/app-env";
import { cancelOnDisconnect } from "../http/inbound";
import { problems, route } from "../http/route";
import { agentParam, maxBodyBytes } from "../http/validate";

const NameParam = z.object({ name: AgentName });
const JSON_RPC = { "application/json": { schema: z.unknown() } };
const SESSION_HEADER = "mcp-session-id";

/** The transport's own error shape, for the answers given before the SDK is reached. */
function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function visibleAgents(c: Context<AppEnv>, from: string | null): Promise<AgentEntry[]> {
  const visible: AgentEntry[] = [];
  for await (const entry of directory(c.env, codeEntriesOf(c.env)).each()) if (mayCall(from, entry)) visible.push(entry);
  return visible;
}

async function invocable(c: Context<AppEnv>, name: string, from: string | null): Promise<AgentEntry | null> {
  if (!AgentName.safeParse(name).success) return null;
  const described = await agentRef(c.env, name).client.describe();
  return described && mayCall(from, described.entry) ? described.entry : null;
}

/** A tool call whose agent asked: it waits as a request, as a sync invoke's does, and its question carries the id to answer. */
async function parkedReply(c: Context<AppEnv>, message: Envelope, question: Envelope): Promise<InvokeResult> {
  const parked = await agentRef(c.env, message.to).client.park({ message, question, timeout_ms: null });
  if (!parked.ok) return parked;
  return { ok: true, reply: { ...question, metadata: { ...question.metadata, request_id: parked.request.request_id } } };
}

async function serve(c: Context<AppEnv>, only: AgentEntry | null): Promise<Response> {
  const from = senderOf(c.var.principal);
  const key = bearerKey(c.req.header("authorization"));
  const sessionId = c.req.header(SESSION_HEADER);
  // Checked by its mac alone: an id this server never gave (or gave another key) touches nothing.
  if (sessionId !== undefined && !(key && (await verifyMcpSession(sessionId, key)))) return jsonRpcError(404, -32001, "Session not found");
  const disconnect = cancelOnDisconnect(c);
  const ports: McpServePorts = {
    agents: async () => (only ? [only] : visibleAgents(c, from)),
    agent: async (name) => (only ? (name === only.name ? only : null) : invocable(c, name, from)),
    invoke: async (call, signal) => {
      const result = await agentRef(c.env, call.message.to).invoke(call, { signal, waitUntil: disconnect.waitUntil });
      return result.ok && inputRequestOf(result.reply) ? parkedReply(c, call.message, result.reply) : result;
    },
    invokeStream: (call, signal) => agentRef(c.env, call.message.to).invokeStream(call, { signal, waitUntil: disconnect.waitUntil }),
    waitUntil: (promise) => c.executionCtx.waitUntil(promise.catch(() => {})),
    ...(sessionId ? { cancels: mcpSession(c.env, sessionId) } : {}),
  };
  const { response, initialize } = await serveMcp(c.req.raw, ports, {
    from,
    traceparent: c.var.traceparent,
    maxBodyBytes: maxBodyBytes(c.env),
    signal: c.req.raw.signal,
  });
  if (!initialize || !key || !response.ok) return response;
  const headers = new Headers(response.headers);
  headers.set(SESSION_HEADER, await issueMcpSession(key));
  return new Response(response.body, { status: response.status, headers });
}

export function mcpRoutes(app: OpenAPIHono<AppEnv>): void {
  const responses = {
    200: { description: "JSON-RPC response, as JSON or an SSE stream", content: { ...JSON_RPC, "text/event-stream": { schema: z.string() } } },
    202: { description: "notifications and responses accepted" },
    400: { description: "JSON-RPC parse error or invalid message (the transport's JSON-RPC error)", content: JSON_RPC },
    404: { description: "unknown or expired Mcp-Session-Id (JSON-RPC error -32001), or no such agent (problem+json)", content: JSON_RPC },
    406: { description: "Accept must list application/json and text/event-stream", content: JSON_RPC },
    413: { description: "body over the size limit", content: JSON_RPC },
    415: { description: "Content-Type must be application/json", content: JSON_RPC },
  };
  route(
    app,
    {
      method: "post",
      path: "/mcp",
      tags: ["mcp"],
      summary: "MCP server (Streamable HTTP): the agents this key may invoke, as tools",
      request: { body: { required: true, content: JSON_RPC } },
      responses: { ...responses, ...problems(401, 429) },
    },
    (c) => serve(c, null),
  );
  route(
    app,
    {
      method: "post",
      path: "/mcp/{name}",
      tags: ["mcp"],
      summary: "MCP server (Streamable HTTP) for one agent",
      request: { params: NameParam, body: { required: true, content: JSON_RPC } },
      responses: { ...responses, ...problems(401, 403, 429) },
    },
    async (c) => {
      const name = agentParam(c);
      const described = await agentRef(c.env, name).client.describe();
      if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      const from = senderOf(c.var.principal);
      if (!mayCall(from, described.entry)) throw new SwitchboardError("forbidden", `agent ${from} may not call ${name}`);
      return serve(c, described.entry);
    },
  );
  for (const method of ["get", "delete"] as const) {
    for (const path of ["/mcp", "/mcp/{name}"]) {
      route(
        app,
        {
          method,
          path,
          tags: ["mcp"],
          summary: method === "get" ? "No server-to-client stream: 405" : "Sessions end on their own: 405",
          ...(path.includes("{name}") ? { request: { params: NameParam } } : {}),
          responses: { 405: { description: "Method Not Allowed (Allow: POST)", content: JSON_RPC }, ...problems(401) },
        },
        () => jsonRpcError(405, -32000, "Method not allowed.", { allow: "POST" }),
      );
    }
  }
}

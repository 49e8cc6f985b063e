/**
 * Registry and sync invoke: GET/PUT/DELETE /agents/:name, GET /agents, POST /agents/:name/invoke,
 * GET /agents/:name/log. Thin: validate, authorise, one Durable Object call, answer.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { KeyedCall, KeyedStreamStarted } from "../../lib/agents/agent-api";
import { agentRef } from "../../lib/agents/agent-ref";
import { type Call, deadlineAfter } from "../../lib/message/call";
import { codeEntry } from "../../lib/agents/define-agent";
import { AgentName, Envelope, InvokeBody } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { LIMITS } from "../../lib/message/limits";
import { toolRefsProblem } from "../../lib/model/tool-refs";
import { resolveRemoteCard } from "../../lib/protocols/remote-a2a";
import { listServerTools } from "../../lib/protocols/mcp-registration";
import { AgentConfig, configProblem, type StoredConfig } from "../../lib/registry/entry";
import { type AgentListing, directory, ListAgentsQuery } from "../../lib/registry/directory";
import { checkOutboundUrl } from "../../lib/security/ssrf";
import { codeAgentsOf, codeEntriesOf } from "../agents";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { cancelOnDisconnect, inboundEnvelope } from "../http/inbound";
import { forgetKnownAgent } from "../../lib/registry/known-agents";
import { entryView } from "../../lib/registry/entry-view";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { streamResponse, wantsEventStream } from "../http/stream-response";
import { AiSdkInvokeBody } from "../../lib/streams/ai-sdk-ui";
import { inputRequestOf } from "../../lib/message/input-required";
import { parkedInvoke, Waiting, waitingResponse } from "./input";
import { agentParam, intQuery, jsonBody, parseWith } from "../http/validate";

const NameParam = z.object({ name: AgentName });

export function agentRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/agents",
      tags: ["registry"],
      summary: "List code and configured agents, a page at a time, in name order",
      description:
        "Pages through `next_cursor` (null on the last page). `kind`, `capability` and `prefix` filter; a page costs the same whatever the number of agents.",
      request: { query: ListAgentsQuery },
      responses: {
        200: { description: "one page of agents", ...json(z.object({ agents: z.array(z.unknown()), next_cursor: z.string().nullable() })) },
        ...problems(400, 401),
      },
    },
    async (c) => {
      const query = parseWith(ListAgentsQuery, c.req.query(), "query");
      const listing: AgentListing = await directory(c.env, codeEntriesOf(c.env)).list(query);
      return c.json({ ...listing, agents: listing.agents.map((entry) => entryView(c.var.principal, entry)) });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}",
      tags: ["registry"],
      summary: "One agent's entry with live status",
      request: { params: NameParam },
      responses: { 200: { description: "entry and status", ...json(z.unknown()) }, ...problems(400, 401, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const described = await agentRef(c.env, name).describe();
      if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json({ ...entryView(c.var.principal, described.entry), status: described.status, peers: described.peers });
    },
  );

  route(
    app,
    {
      method: "put",
      path: "/agents/{name}",
      tags: ["registry"],
      summary: "Create or replace a configured agent (admin)",
      request: { params: NameParam, body: { required: true, ...json(AgentConfig) } },
      responses: { 200: { description: "the stored entry", ...json(z.unknown()) }, ...problems(400, 401, 403) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const name = agentParam(c);
      const config = await jsonBody(c, AgentConfig);
      const defined = codeAgentsOf(c.env).get(name);
      const problem = configProblem(config, defined ? codeEntry(defined).kind : null);
      if (problem) throw new SwitchboardError("invalid_request", problem);
      const refs = await toolRefsProblem(name, config, async (agent) => {
        const code = codeAgentsOf(c.env).get(agent);
        if (code) return { kind: codeEntry(code).kind };
        const entry = (await agentRef(c.env, agent).client.describe())?.entry;
        return entry ? { kind: entry.kind, tools: entry.mcp?.tools.map((t) => t.name) ?? [] } : null;
      });
      if (refs) throw new SwitchboardError("invalid_request", refs);
      // The SSRF guard at registration, so a bad URL is refused now; it runs again on every call.
      const urlCheck = config.url ? checkOutboundUrl(config.url, { dev: c.env.SWITCHBOARD_DEV === "1" }) : { ok: true };
      if (!urlCheck.ok) throw new SwitchboardError("invalid_request", `url: ${urlCheck.reason}`);
      const dev = c.env.SWITCHBOARD_DEV === "1";
      // A remote A2A agent's card, or an MCP server's tools, are fetched and checked now, so a bad URL fails the PUT, not the first call.
      let stored: StoredConfig = config;
      if (config.kind === "a2a" && config.url) stored = { ...config, a2a: await resolveRemoteCard(config.url, dev) };
      if (config.kind === "mcp" && config.url) stored = { ...config, mcp: await listServerTools(name, config.url, config.headers_secret, c.env, dev) };
      const entry = await agentRef(c.env, name).configure(stored);
      await directory(c.env).upsert(entry);
      return c.json(entry);
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/agents/{name}",
      tags: ["registry"],
      summary: "Delete a configured agent, or a code agent's overrides (admin)",
      request: { params: NameParam },
      responses: { 204: { description: "deleted" }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const name = agentParam(c);
      if (!(await agentRef(c.env, name).unconfigure())) throw new SwitchboardError("agent_not_found", `no configured agent named ${name}`);
      await directory(c.env).remove(name);
      forgetKnownAgent(name);
      return c.body(null, 204);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/refresh",
      tags: ["registry"],
      summary: "List an MCP agent's tools again (admin)",
      request: { params: NameParam },
      responses: { 200: { description: "the stored entry, with the tools as listed now", ...json(z.unknown()) }, ...problems(400, 401, 403, 404, 502) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const name = agentParam(c);
      const agent = agentRef(c.env, name);
      const described = await agent.describe();
      if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      const { name: _name, updated_at: _at, ...config } = described.entry;
      if (config.kind !== "mcp" || !config.url)
        throw new SwitchboardError("invalid_request", `${name} is a ${config.kind} agent; only MCP agents have tools to refresh`);
      const mcp = await listServerTools(name, config.url, config.headers_secret, c.env, c.env.SWITCHBOARD_DEV === "1");
      const entry = await agent.configure({ ...(config as StoredConfig), mcp });
      await directory(c.env).upsert(entry);
      return c.json(entry);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/invoke",
      tags: ["messaging"],
      summary: "Invoke an agent and wait for its reply, or, with `Accept: text/event-stream`, stream it; 202 with a request id when the agent asks for input",
      description:
        "With `Accept: text/event-stream` the answer is an SSE stream: `start` `{ stream_id, message_id }`, `delta` (`{ text }` or `{ value }`) " +
        "and `step` events as the agent produces them, then one `reply` (the envelope) or `error` (problem+json). Every event has an `id`; " +
        "`GET /streams/{stream_id}` with `Last-Event-ID` resumes. A call refused before it starts is a plain problem. " +
        "`?format=ai-sdk` streams the AI SDK's UI message stream protocol instead (what `useChat` reads), and also takes `useChat`'s `{ messages }` body. " +
        "With `idempotency_key`, a retry from the same sender within 24 h answers with the first call's reply and `Idempotent-Replayed: true`, " +
        "and the handler runs once (a streaming retry gets a new stream of that reply); a key whose async request is still on its way is 409 `conflict`.",
      request: { params: NameParam, query: z.object({ format: z.enum(["ai-sdk"]).optional() }), body: { required: true, ...json(InvokeBody) } },
      responses: {
        200: {
          description: "reply envelope, or the SSE stream",
          content: { "application/json": { schema: Envelope }, "text/event-stream": { schema: z.string() } },
        },
        202: { description: "the agent asked for input: answer with POST /requests/:id/input", ...json(Waiting) },
        ...problems(400, 401, 403, 404, 409, 422, 429, 502, 503, 504, 508),
      },
    },
    async (c) => {
      const name = agentParam(c);
      const body = await jsonBody(c, c.req.query("format") === "ai-sdk" ? AiSdkInvokeBody : InvokeBody);
      const now = Date.now();
      const call: Call = {
        message: inboundEnvelope(c, name, body, now),
        deadline: deadlineAfter(body.timeout_ms, now),
        path: [],
        pattern: "invoke",
      };
      const keyed = "idempotency_key" in body && body.idempotency_key ? { key: body.idempotency_key, timeout_ms: body.timeout_ms ?? null } : null;
      if (wantsEventStream(c)) {
        // A streaming call outlives a dropped connection for a grace period (resumable), so no cancel signal here.
        const opened: KeyedStreamStarted = await (keyed ? agentRef(c.env, name).invokeStreamKeyed(call, keyed) : agentRef(c.env, name).invokeStream(call));
        if (!opened.ok) return failureResponse(opened);
        const response = streamResponse(c, opened, 0);
        if (opened.replayed) response.headers.set("idempotent-replayed", "true");
        return response;
      }
      if (keyed) return keyedInvoke(c, name, call, keyed);
      const result = await agentRef(c.env, name).invoke(call, cancelOnDisconnect(c));
      if (!result.ok) return failureResponse(result);
      if (inputRequestOf(result.reply)) return parkedInvoke(c, name, call.message, result.reply, body.timeout_ms ?? null);
      return c.json(result.reply);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/log",
      tags: ["observability"],
      summary: "Recent inbound and outbound messages of one agent",
      request: { params: NameParam, query: z.object({ limit: z.string().optional() }) },
      responses: { 200: { description: "log rows, newest first", ...json(z.object({ entries: z.array(z.unknown()) })) }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const principal = c.var.principal;
      if (principal.kind !== "admin" && principal.agent !== name) throw new SwitchboardError("forbidden", "only admin or the agent itself may read its log");
      const limit = intQuery(c, "limit", 50, 1, LIMITS.logRows);
      // A sharded agent's log is the merge of its shards' logs, newest first.
      const entries = await agentRef(c.env, name).log(limit);
      if (!entries) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json({ agent: name, entries });
    },
  );
}

/**
 * A sync invoke with an `idempotency_key` (durable-objects/agent/keyed-calls.ts): an answer that is
 * an earlier call's says so with `Idempotent-Replayed: true`; a call that asked for input answers 202
 * with the request it waits as, the first time and on every retry.
 */
async function keyedInvoke(c: Context<AppEnv>, name: string, call: Call, keyed: KeyedCall): Promise<Response> {
  const result = await agentRef(c.env, name).invokeKeyed(call, keyed, cancelOnDisconnect(c));
  if (!result.ok) return failureResponse(result);
  const response = result.waiting ? waitingResponse(c, result.waiting) : c.json(result.reply);
  if (result.replayed) response.headers.set("idempotent-replayed", "true");
  return response;
}

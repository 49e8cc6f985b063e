/**
 * A2A v1.0: every agent is an A2A server. `GET /a2a/:name/.well-known/agent-card.json` (public)
 * is its card; `POST /a2a/:name` is the JSON-RPC binding, served by the SDK's request handler
 * with tasks in the agent's Durable Object and each message one invocation through the pipeline.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentCardJson, agentCardOf } from "../../lib/a2a/card";
import { SwitchboardExecutor } from "../../lib/a2a/executor";
import { agentRef, streamObject } from "../../lib/agents/agent-ref";
import type { RunPorts } from "../../lib/a2a/request-handler";
import { readEvents } from "../../lib/streams/sse-read";
import { handleJsonRpc } from "../../lib/a2a/json-rpc";
import { DurableTaskStore } from "../../lib/a2a/task-store";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { LIMITS } from "../../lib/message/limits";
import type { AgentEntry } from "../../lib/registry/entry";
import { principalLabel, senderOf } from "../../lib/security/keys";
import { isKnownAgent } from "../../lib/registry/known-agents";
import { codeAgents } from "../agents";
import type { AppEnv } from "../http/app-env";
import { problems, route } from "../http/route";
import { agentParam } from "../http/validate";

const NameParam = z.object({ name: AgentName });

async function entryOf(c: Context<AppEnv>, name: string): Promise<AgentEntry> {
  // The card is public: an unknown name must not make (and so persist) an object by asking it.
  if (!(await isKnownAgent(c.env, codeAgents, name))) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
  const described = await agentRef(c.env, name).client.describe();
  if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
  return described.entry;
}

export function a2aRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const file of ["agent-card.json", "agent.json"]) {
    route(
      app,
      {
        method: "get",
        path: `/a2a/{name}/.well-known/${file}`,
        tags: ["a2a"],
        summary: file === "agent.json" ? "A2A agent card (legacy path)" : "A2A v1.0 agent card (public)",
        request: { params: NameParam },
        responses: { 200: { description: "agent card", content: { "application/json": { schema: z.unknown() } } }, ...problems(400, 404) },
      },
      async (c) => {
        const name = agentParam(c);
        const card = agentCardJson(await entryOf(c, name), new URL(c.req.url).origin);
        return c.json(card as Record<string, unknown>, 200, { "cache-control": "public, max-age=60" });
      },
    );
  }

  route(
    app,
    {
      method: "post",
      path: "/a2a/{name}",
      tags: ["a2a"],
      summary: "A2A JSON-RPC binding: SendMessage, SendStreamingMessage, SubscribeToTask, GetTask, CancelTask, ListTasks",
      request: { params: NameParam, body: { required: true, content: { "application/json": { schema: z.unknown() } } } },
      responses: {
        200: {
          description: "JSON-RPC response, or an SSE stream of them",
          content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
        },
        ...problems(400, 401, 404),
      },
    },
    async (c) => {
      const name = agentParam(c);
      const entry = await entryOf(c, name);
      const agent = agentRef(c.env, name);
      const stub = agent.client;
      const principal = c.var.principal;
      const store = new DurableTaskStore(
        { saveTask: (t, o) => stub.saveTask(t, o), loadTask: (id, o) => stub.loadTask(id, o), listTasks: (q, o) => stub.listTasks(q, o) },
        senderOf(principal),
      );
      const viewer = senderOf(principal);
      const executor = (streaming: boolean) =>
        new SwitchboardExecutor({
          agent: name,
          from: viewer,
          traceparent: c.var.traceparent,
          store,
          streaming,
          ports: {
            invokeStream: async (call) => {
              const opened = await agent.invokeStream(call);
              return opened.ok ? { ok: true, stream_id: opened.stream_id, message_id: opened.message_id, events: readEvents(opened.body) } : opened;
            },
            waitUntil: (p) => c.executionCtx.waitUntil(p),
          },
        });
      const runs: RunPorts = {
        cancel: async (run, detail) => streamObject(c.env, run.stream_id)?.cancel(run.message_id, detail),
        read: async (run) => {
          const opened = await streamObject(c.env, run.stream_id)?.readStream(run.stream_id, 0, viewer);
          return opened?.ok ? readEvents(opened.body) : null;
        },
      };
      const configured = Number(c.env.SWITCHBOARD_MAX_BODY_BYTES);
      return handleJsonRpc(c.req.raw, {
        card: agentCardOf(entry, new URL(c.req.url).origin),
        store,
        executor,
        runs,
        agent: name,
        user: principalLabel(principal),
        maxBodyBytes: Number.isInteger(configured) && configured > 0 ? configured : LIMITS.maxBodyBytes,
      });
    },
  );
}

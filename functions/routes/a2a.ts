/**
 * A2A v1.0: every agent is an A2A server. `GET /a2a/:name/.well-known/agent-card.json` (public)
 * is its card, revalidatable (`ETag`, `Last-Modified`, 304); the host's own
 * `/.well-known/agent-card.json` is the default agent's card (`SWITCHBOARD_A2A_AGENT`) or a directory
 * card naming every agent. `POST /a2a/:name` (also with a trailing slash) is the JSON-RPC binding,
 * served by the SDK's request handler with tasks in the agent's Durable Object and each message one
 * invocation through the pipeline.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { Task } from "@a2a-js/sdk";
import type { Context } from "hono";
import { agentCardJson, agentCardOf } from "../../lib/a2a/card";
import { directoryCardJson } from "../../lib/a2a/directory-card";
import { SwitchboardExecutor } from "../../lib/a2a/executor";
import { handleJsonRpc } from "../../lib/a2a/json-rpc";
import type { RunPorts } from "../../lib/a2a/request-handler";
import { DurableTaskStore } from "../../lib/a2a/task-store";
import { agentRef, streamObject } from "../../lib/agents/agent-ref";
import { readEvents } from "../../lib/streams/sse-read";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { LIMITS } from "../../lib/message/limits";
import { directory } from "../../lib/registry/directory";
import type { AgentEntry } from "../../lib/registry/entry";
import { principalLabel, senderOf } from "../../lib/security/keys";
import { isKnownAgent } from "../../lib/registry/known-agents";
import { codeAgentsOf, codeEntriesOf } from "../agents";
import type { AppEnv } from "../http/app-env";
import { revalidatedJson } from "../http/revalidate";
import { problems, route } from "../http/route";
import { agentParam } from "../http/validate";

const NameParam = z.object({ name: AgentName });
const CARD_MAX_AGE_SECONDS = 60;

async function entryOf(c: Context<AppEnv>, name: string): Promise<AgentEntry> {
  // The card is public: an unknown name must not make (and so persist) an object by asking it.
  if (!(await isKnownAgent(c.env, codeAgentsOf(c.env), name))) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
  const described = await agentRef(c.env, name).client.describe();
  if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
  return described.entry;
}

/** Code agents and configured ones, configured last (a PUT may override a code agent's entry). */
async function everyEntry(env: Env): Promise<AgentEntry[]> {
  const entries: AgentEntry[] = [];
  for await (const entry of directory(env, codeEntriesOf(env)).each()) entries.push(entry);
  return entries;
}

function agentCard(c: Context<AppEnv>, entry: AgentEntry): Promise<Response> {
  return revalidatedJson(c, agentCardJson(entry, new URL(c.req.url).origin), { modifiedAt: entry.updated_at, maxAgeSeconds: CARD_MAX_AGE_SECONDS });
}

const cardResponses = {
  200: { description: "agent card", content: { "application/json": { schema: z.unknown() } } },
  304: { description: "the client's copy is current" },
};

export function a2aRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/.well-known/agent-card.json",
      tags: ["a2a"],
      summary: "The host's A2A card (public): the default agent's card when SWITCHBOARD_A2A_AGENT names one, else a directory card naming every agent",
      responses: { ...cardResponses, ...problems(404) },
    },
    async (c) => {
      const origin = new URL(c.req.url).origin;
      const named = c.env.SWITCHBOARD_A2A_AGENT;
      if (named) return agentCard(c, await entryOf(c, named));
      return revalidatedJson(c, directoryCardJson(await everyEntry(c.env), origin), { maxAgeSeconds: CARD_MAX_AGE_SECONDS });
    },
  );

  for (const file of ["agent-card.json", "agent.json"]) {
    route(
      app,
      {
        method: "get",
        path: `/a2a/{name}/.well-known/${file}`,
        tags: ["a2a"],
        summary: file === "agent.json" ? "A2A agent card (legacy path)" : "A2A v1.0 agent card (public; ETag and Last-Modified, 304 when current)",
        request: { params: NameParam },
        responses: { ...cardResponses, ...problems(400, 404) },
      },
      async (c) => agentCard(c, await entryOf(c, agentParam(c))),
    );
  }

  for (const path of ["/a2a/{name}", "/a2a/{name}/"]) {
    route(
      app,
      {
        method: "post",
        path,
        tags: ["a2a"],
        summary: path.endsWith("/")
          ? "A2A JSON-RPC binding, as clients that join the card's URL with a slash call it"
          : "A2A JSON-RPC binding: SendMessage, SendStreamingMessage, SubscribeToTask, GetTask, CancelTask, ListTasks",
        request: { params: NameParam, body: { required: true, content: { "application/json": { schema: z.unknown() } } } },
        responses: {
          200: {
            description: "JSON-RPC response (errors too), or an SSE stream of them",
            content: { "application/json": { schema: z.unknown() }, "text/event-stream": { schema: z.string() } },
          },
          ...problems(400, 401, 404),
        },
      },
      (c) => serveJsonRpc(c),
    );
  }
}

async function serveJsonRpc(c: Context<AppEnv>): Promise<Response> {
  const name = agentParam(c);
  const entry = await entryOf(c, name);
  const agent = agentRef(c.env, name);
  const principal = c.var.principal;
  const viewer = senderOf(principal);
  // A sharded agent's tasks spread over its shards, each on the one its id hashes to.
  const { shards } = entry;
  const task = (id: string) => agent.forTask(id, shards);
  const store = new DurableTaskStore(
    {
      saveTask: (t, o) => task(t.id).saveTask(t, o),
      // A task from before the agent was sharded stays at home.
      loadTask: async (id, o) => (await task(id).loadTask(id, o)) ?? (shards > 1 ? agent.client.loadTask(id, o) : null),
      listTasks: (q, o) => agent.listTasks(q, o, shards),
    },
    viewer,
  );
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
        // Parked beside its task, so a wait that ends updates the task in the same object.
        park: (parked) => task(String(parked.message.metadata.a2a_task_id ?? "")).park(parked),
        answer: (requestId, answer) => agent.forRequest(requestId).answerInput(requestId, viewer, answer, "now"),
        waitUntil: (p) => c.executionCtx.waitUntil(p),
      },
    });
  const runs: RunPorts = {
    cancel: async (run, detail) => streamObject(c.env, run.stream_id)?.cancel(run.message_id, detail),
    read: async (run) => {
      const opened = await streamObject(c.env, run.stream_id)?.readStream(run.stream_id, 0, viewer);
      return opened?.ok ? readEvents(opened.body) : null;
    },
    cancelRequest: async (requestId) => {
      await agent.forRequest(requestId).cancelRequest(requestId, viewer);
    },
    watch: async (id, statusAt, waitMs) => {
      const next = await task(id).watchTask(id, viewer, statusAt, waitMs);
      return next ? Task.fromJSON(next) : undefined;
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
}

/** The dead-letter store over HTTP (admin): list, inspect, replay, delete. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { AgentName, Envelope } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { DEAD_LETTER_ID, deadLetters } from "../../lib/resilience/dead-letter-store";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { problems, route } from "../http/route";
import { intQuery, parseWith } from "../http/validate";
import type { RequestReplay } from "../../lib/agents/agent-api";
import { agentRef } from "../../lib/agents/agent-ref";
import { isDeliveryMessage } from "../../lib/protocols/delivery";
import type { DeadLetterEntry } from "../../lib/resilience/dead-letter-store";
import { failureResponse } from "../http/problem";

const Entry = z
  .object({
    id: z.string(),
    agent: z.string(),
    queue: z.enum(["deliveries", "fanout"]),
    status: z.enum(["dead", "replaying"]),
    message: z.unknown(),
    error: z.object({ code: z.string(), detail: z.string() }),
    attempts: z.number(),
    replays: z.number(),
    first_failed_at: z.string(),
    last_failed_at: z.string(),
  })
  .openapi("DeadLetter");
const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const IdParam = z.object({ id: z.string() });

export function dlqRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/dlq",
      tags: ["resilience"],
      summary: "Dead letters, newest first (admin)",
      request: { query: z.object({ agent: AgentName.optional(), limit: z.string().optional(), cursor: z.string().optional() }) },
      responses: {
        200: { description: "a page of entries", ...json(z.object({ entries: z.array(Entry), cursor: z.string().nullable() })) },
        ...problems(400, 401, 403),
      },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const agent = c.req.query("agent");
      const cursor = c.req.query("cursor");
      const page = await deadLetters(c.env).list({
        ...(agent ? { agent: parseWith(AgentName, agent, "agent") } : {}),
        ...(cursor ? { cursor: parseWith(z.string().regex(DEAD_LETTER_ID, "not a cursor from this API"), cursor, "cursor") } : {}),
        limit: intQuery(c, "limit", 50, 1, 500),
      });
      return c.json({ entries: page.entries.map(publicEntry), cursor: page.cursor });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/dlq/{id}",
      tags: ["resilience"],
      summary: "One dead letter (admin)",
      request: { params: IdParam },
      responses: { 200: { description: "entry", ...json(Entry) }, ...problems(401, 403, 404) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const entry = await deadLetters(c.env).get(c.req.param("id") ?? "");
      if (!entry) throw notFound(c.req.param("id"));
      return c.json(publicEntry(entry));
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/dlq/{id}/replay",
      tags: ["resilience"],
      summary: "Re-enqueue a dead letter; the entry is removed once delivered, and comes back if it fails again (admin)",
      request: { params: IdParam },
      responses: { 202: { description: "re-enqueued", ...json(z.object({ id: z.string(), status: z.literal("replaying") })) }, ...problems(401, 403, 404) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const id = c.req.param("id") ?? "";
      const entry = await deadLetters(c.env).startReplay(id);
      if (!entry) throw notFound(id);
      const body = entry.body;
      if (entry.queue === "deliveries" && isDeliveryMessage(body) && body.kind === "deliver") {
        // An async request is replayed by its agent's object, which recreates it from the letter if it was pruned.
        const replayed = await agentRef(c.env, body.agent)
          .forRequest(body.request_id)
          .replayRequest(requestReplay(id, body.request_id, entry));
        if (!replayed.ok) return failureResponse(replayed);
      } else {
        const queue = entry.queue === "fanout" ? c.env.FANOUT : c.env.DELIVERIES;
        await queue.send({ ...(body as object), replay_of: id }, { contentType: "json" });
      }
      return c.json({ id, status: "replaying" as const }, 202);
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/dlq/{id}",
      tags: ["resilience"],
      summary: "Delete a dead letter (admin)",
      request: { params: IdParam },
      responses: { 204: { description: "deleted" }, ...problems(401, 403, 404) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const id = c.req.param("id") ?? "";
      if (!(await deadLetters(c.env).remove(id))) throw notFound(id);
      return c.body(null, 204);
    },
  );
}

function notFound(id: string | undefined): SwitchboardError {
  return new SwitchboardError("dlq_entry_not_found", `no dead letter ${String(id).slice(0, 100)}`);
}

/** The entry without the raw queue body and request settings (what replay uses). */
function publicEntry<T extends { body: unknown; request: unknown }>(entry: T): Omit<T, "body" | "request"> {
  const { body: _, request: __, ...rest } = entry;
  return rest;
}

/** What the agent needs to replay a request from its letter alone. */
function requestReplay(letterId: string, requestId: string, entry: DeadLetterEntry): RequestReplay {
  const message = Envelope.safeParse(entry.message);
  const envelope = message.success ? message.data : undefined;
  // Letters stored before requests kept their settings in the letter: reply_to is in the envelope.
  const replyTo = envelope?.metadata.reply_to;
  return {
    letter_id: letterId,
    request_id: requestId,
    ...(envelope ? { message: envelope } : {}),
    reply_to: entry.request?.reply_to ?? (typeof replyTo === "string" ? replyTo : null),
    timeout_ms: entry.request?.timeout_ms ?? null,
    attempts: entry.attempts,
  };
}

/** The dead-letter store over HTTP (admin): list, inspect, replay and delete (one, or an agent's in bulk). */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { RequestReplay } from "../../lib/agents/agent-api";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName, Envelope } from "../../lib/message/envelope";
import { type Failure, failure, SwitchboardError } from "../../lib/message/errors";
import { requestAddress } from "../../lib/message/ids";
import { isDeliveryMessage } from "../../lib/protocols/delivery";
import { sendBatched } from "../../lib/protocols/send-batched";
import type { DeadLetterEntry } from "../../lib/resilience/dead-letter-store";
import { DEAD_LETTER_ID, deadLetters } from "../../lib/resilience/dead-letter-store";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { intQuery, jsonBody, parseWith } from "../http/validate";

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
const IdParam = z.object({ id: z.string() });

/** Letters one `POST /dlq/replay` takes: a queue's `sendBatch` holds 100, and each agent object takes its share in one call. */
const BULK_REPLAY_MAX = 100;
const BulkReplay = z
  .object({
    agent: AgentName.describe("whose dead letters to replay"),
    limit: z.number().int().min(1).max(BULK_REPLAY_MAX).optional().describe(`at most this many, oldest first (default ${BULK_REPLAY_MAX})`),
    cursor: z
      .string()
      .regex(DEAD_LETTER_ID, "not a cursor from this API")
      .optional()
      .describe("the previous answer's `cursor`: go on after the letters it took"),
  })
  .openapi("BulkReplay");
const BulkReplayed = z
  .object({
    agent: z.string(),
    replaying: z.array(z.string()).describe("the letters re-enqueued, oldest first"),
    failed: z.array(z.object({ id: z.string(), code: z.string(), detail: z.string() })).describe("letters that could not be replayed; they stay dead"),
    remaining: z.number().describe("the agent's dead letters after the ones this call took"),
    cursor: z.string().nullable().describe("pass it back to go on; null once none remain"),
  })
  .openapi("BulkReplayed");

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
      method: "delete",
      path: "/dlq",
      tags: ["resilience"],
      summary: "Delete an agent's dead letters; those being replayed are left to settle (admin)",
      request: { query: z.object({ agent: AgentName }) },
      responses: {
        200: { description: "deleted", ...json(z.object({ agent: z.string(), deleted: z.number(), replaying: z.number() })) },
        ...problems(400, 401, 403),
      },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const agent = c.req.query("agent");
      if (!agent) throw new SwitchboardError("invalid_request", "agent: whose dead letters to delete (?agent=<name>)");
      const name = parseWith(AgentName, agent, "agent");
      return c.json({ agent: name, ...(await deadLetters(c.env).purge(name)) });
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
      const refused = (await replayLetters(c.env, [entry])).get(id);
      if (refused) return failureResponse(refused);
      return c.json({ id, status: "replaying" as const }, 202);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/dlq/replay",
      tags: ["resilience"],
      summary: "Replay an agent's dead letters, oldest first, up to `limit` at a time; pass `cursor` back while it is not null (admin)",
      request: { body: { required: true, ...json(BulkReplay) } },
      responses: { 202: { description: "re-enqueued", ...json(BulkReplayed) }, ...problems(400, 401, 403) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const body = await jsonBody(c, BulkReplay);
      const { entries, remaining } = await deadLetters(c.env).startReplays(body.agent, body.limit ?? BULK_REPLAY_MAX, body.cursor);
      const refused = await replayLetters(c.env, entries);
      // The cursor moves past the letters that failed too: a loop that passes it back never takes them again.
      const last = entries.at(-1)?.id ?? body.cursor ?? null;
      return c.json(
        {
          agent: body.agent,
          replaying: entries.filter((e) => !refused.has(e.id)).map((e) => e.id),
          failed: [...refused].map(([id, f]) => ({ id, code: f.code, detail: f.detail })),
          remaining,
          cursor: remaining > 0 ? last : null,
        },
        202,
      );
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

/**
 * Re-sends letters already marked as being replayed: an async request's through its agent's object
 * (one call per object, which recreates a request pruned since), any other queue message in as few
 * batches as its queue takes. A letter that could not be replayed is dead again, and answered
 * with why, by id.
 */
async function replayLetters(env: Env, entries: DeadLetterEntry[]): Promise<Map<string, Failure>> {
  const refused = new Map<string, Failure>();
  const byObject = new Map<string, { agent: string; request_id: string; replays: RequestReplay[] }>();
  const queued = { deliveries: [] as DeadLetterEntry[], fanout: [] as DeadLetterEntry[] };
  for (const entry of entries) {
    const body = entry.body;
    if (entry.queue === "deliveries" && isDeliveryMessage(body) && body.kind === "deliver") {
      const key = `${body.agent}/${requestAddress(body.request_id)?.shard ?? 0}`;
      const group = byObject.get(key) ?? { agent: body.agent, request_id: body.request_id, replays: [] };
      group.replays.push(requestReplay(entry.id, body.request_id, entry));
      byObject.set(key, group);
    } else {
      queued[entry.queue === "fanout" ? "fanout" : "deliveries"].push(entry);
    }
  }
  // A send that threw leaves its letters dead, not stuck as replaying: the next replay takes them again.
  const unsent = (ids: string[]) => (error: unknown) => {
    for (const id of ids) refused.set(id, failure("unavailable", `could not enqueue the replay: ${String(error)}`));
  };
  const send = (queue: Queue, letters: DeadLetterEntry[]) =>
    sendBatched(
      queue,
      letters.map((e) => ({ ...(e.body as object), replay_of: e.id })),
    ).catch(unsent(letters.map((e) => e.id)));
  await Promise.all([
    ...[...byObject.values()].map(({ agent, request_id, replays }) =>
      agentRef(env, agent)
        .forRequest(request_id)
        .replayRequests(replays)
        .then((results) =>
          results.forEach((result, i) => {
            const letter = replays[i]?.letter_id;
            if (!result.ok && letter) refused.set(letter, result);
          }),
        )
        .catch(unsent(replays.map((r) => r.letter_id))),
    ),
    send(env.DELIVERIES, queued.deliveries),
    send(env.FANOUT, queued.fanout),
  ]);
  if (refused.size > 0) await deadLetters(env).abandonReplays([...refused.keys()]);
  return refused;
}

/**
 * Async messaging: POST /agents/:name/messages (202 once the request and its lease are durable),
 * GET and DELETE /requests/:id, and POST /agents/:name/handshake.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName, MessageBody } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { requestAddress } from "../../lib/message/ids";
import { InputRequest } from "../../lib/message/input-required";
import { HandshakeOffer, peerRecord } from "../../lib/protocols/handshake";
import { senderOf } from "../../lib/security/keys";
import { dueTime } from "../../lib/time/delivery-time";
import type { AppEnv } from "../http/app-env";
import { inboundEnvelope } from "../http/inbound";
import { checkReplyTo } from "../http/reply-to";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { lastEventId, streamResponse } from "../http/stream-response";
import { agentParam, jsonBody } from "../http/validate";

const NameParam = z.object({ name: AgentName });

const Accepted = z.object({ request_id: z.string(), status_url: z.string() }).openapi("Accepted");
export const RequestState = z
  .object({
    request_id: z.string(),
    agent: z.string(),
    status: z.enum(["pending", "scheduled", "input_required", "replied", "failed", "timed_out", "dead_lettered", "cancelled", "superseded"]),
    attempts: z.number(),
    deliver_at: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    reply: z.unknown().optional(),
    error: z.object({ code: z.string(), detail: z.string() }).optional(),
    input_required: InputRequest.optional(),
    input: z.array(z.unknown()).optional(),
  })
  .openapi("RequestState");

export function messageRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/messages",
      tags: ["messaging"],
      summary: "Send an async message; delivered through a queue with retries, now or at `deliver_at` / after `delay_ms`",
      request: { params: NameParam, body: { required: true, ...json(MessageBody) } },
      responses: { 202: { description: "accepted", ...json(Accepted) }, ...problems(400, 401, 403, 404, 409) },
    },
    async (c) => {
      const name = agentParam(c);
      const body = await jsonBody(c, MessageBody);
      const now = Date.now();
      // Absolute once, here, like every deadline: the object holds the message until then.
      const deliverAt = dueTime(body, now);
      const replyTo = body.reply_to ?? null;
      if (replyTo !== null) await checkReplyTo(c.env, replyTo, senderOf(c.var.principal));
      const message = inboundEnvelope(c, name, body, now);
      const result = await agentRef(c.env, name).submit({
        message,
        reply_to: replyTo,
        timeout_ms: body.timeout_ms ?? null,
        ...(body.idempotency_key ? { idempotency_key: body.idempotency_key } : {}),
        ...(deliverAt !== null ? { deliver_at: deliverAt } : {}),
      });
      if (!result.ok) return failureResponse(result);
      const statusUrl = `/requests/${result.request_id}`;
      return c.json({ request_id: result.request_id, status_url: statusUrl }, 202, { location: statusUrl });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/requests/{id}",
      tags: ["messaging"],
      summary: "State of an async request",
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: { description: "request state", ...json(RequestState) }, ...problems(401, 403, 404) },
    },
    async (c) => {
      const { id, agent } = requestParam(c);
      const result = await agentRef(c.env, agent).forRequest(id).requestStatus(id, senderOf(c.var.principal));
      return result.ok ? c.json(result.request) : failureResponse(result);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/requests/{id}/stream",
      tags: ["messaging"],
      summary: "An async request's events as SSE: every attempt's deltas and steps, a `retry` step between attempts, then its reply or error",
      description:
        "The same viewers as `GET /requests/{id}`. `Last-Event-ID` (or `?last_event_id=`) resumes after that event. A pending request's stream " +
        "opens when it is first read or attempted; once the request ended its stream is kept 15 min.",
      request: { params: z.object({ id: z.string() }), query: z.object({ last_event_id: z.string().optional() }) },
      responses: {
        200: { description: "the stream (SSE)", content: { "text/event-stream": { schema: z.string() } } },
        204: { description: "the request ended and the client has its stream's last event: an EventSource stops reconnecting" },
        ...problems(400, 401, 403, 404),
      },
    },
    async (c) => {
      const { id, agent } = requestParam(c);
      const after = lastEventId(c);
      const opened = await agentRef(c.env, agent).forRequest(id).readRequestStream(id, after, senderOf(c.var.principal));
      return opened.ok ? streamResponse(c, opened, after) : failureResponse(opened);
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/requests/{id}",
      tags: ["messaging"],
      summary: "Cancel an async request: it ends `cancelled`, and an attempt running now is aborted with every sub-call it made",
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: { description: "the cancelled request", ...json(RequestState) }, ...problems(401, 403, 404, 409) },
    },
    async (c) => {
      const { id, agent } = requestParam(c);
      const result = await agentRef(c.env, agent).forRequest(id).cancelRequest(id, senderOf(c.var.principal));
      return result.ok ? c.json(result.request) : failureResponse(result);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/handshake",
      tags: ["protocols"],
      summary: "Offer a version and capabilities to an agent; the outcome is recorded on both entries",
      request: { params: NameParam, body: { required: true, ...json(HandshakeOffer) } },
      responses: { 200: { description: "accepted or rejected", ...json(z.unknown()) }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const offer = await jsonBody(c, HandshakeOffer);
      const principal = c.var.principal;
      // An agent key shakes hands as itself; admin names the agent it acts for.
      const from = principal.kind === "agent" ? principal.agent : offer.from;
      if (!from) throw new SwitchboardError("invalid_request", "from: required when an admin key makes the handshake");
      if (principal.kind === "agent" && offer.from !== undefined && offer.from !== principal.agent) {
        throw new SwitchboardError("forbidden", `an agent key may only shake hands as itself (${principal.agent})`);
      }
      const answered = await agentRef(c.env, name).client.handshake(from, offer);
      if (!answered.ok) return failureResponse(answered);
      const { result } = answered;
      await agentRef(c.env, from).client.recordPeer(peerRecord(name, "outbound", result));
      return c.json(result);
    },
  );
}

/** The request id in the path and the agent it names (request ids embed their agent and shard, lib/message/ids.ts). */
function requestParam(c: Context<AppEnv>): { id: string; agent: string } {
  const id = c.req.param("id") ?? "";
  const agent = requestAddress(id)?.agent;
  if (!agent) throw new SwitchboardError("request_not_found", `no request ${id.slice(0, 100)}`);
  return { id, agent };
}

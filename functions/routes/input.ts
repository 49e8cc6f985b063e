/**
 * Answering an agent that asked for input: `GET /agents/:name/requests?status=input_required` lists
 * what waits (the dashboard's "Waiting for input"), and `POST /requests/:id/input` answers one. The
 * answer resumes the waiting request through the queue (202; poll `GET /requests/:id`). A sync
 * invoke whose handler asked answers 202 the same way, through `waitingResponse`.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentRef } from "../../lib/agents/agent-ref";
import type { Envelope } from "../../lib/message/envelope";
import { JsonValue } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { requestAddress } from "../../lib/message/ids";
import { InputRequest } from "../../lib/message/input-required";
import type { RequestView } from "../../lib/protocols/request-store";
import { senderOf } from "../../lib/security/keys";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { agentParam, intQuery, jsonBody } from "../http/validate";
import { RequestState } from "./messages";

export const InputAnswer = z.strictObject({ content: JsonValue }).openapi("InputAnswer", {
  description: "The answer: any JSON value, matching the question's schema when it has one",
});

export const Waiting = z
  .object({ request_id: z.string(), status: z.string(), status_url: z.string(), input_required: InputRequest.optional() })
  .openapi("Waiting");

/** 202 for a request that waits (for input, or for its resumed attempt), pointing at its status. */
export function waitingResponse(c: Context<AppEnv>, request: RequestView): Response {
  const statusUrl = `/requests/${request.request_id}`;
  const body = {
    request_id: request.request_id,
    status: request.status,
    status_url: statusUrl,
    ...(request.input_required ? { input_required: request.input_required } : {}),
  };
  return c.json(body, 202, { location: statusUrl });
}

/** A sync invoke's handler asked: the call becomes a waiting request in the agent's object, and the caller gets 202. */
export async function parkedInvoke(c: Context<AppEnv>, name: string, message: Envelope, question: Envelope, timeoutMs: number | null): Promise<Response> {
  const parked = await agentRef(c.env, name).client.park({ message, question, timeout_ms: timeoutMs });
  return parked.ok ? waitingResponse(c, parked.request) : failureResponse(parked);
}

export function inputRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/requests",
      tags: ["messaging"],
      summary: "Requests of an agent that wait for input, oldest first: all of them for admin and the agent itself, else the caller's own",
      request: {
        params: z.object({ name: z.string() }),
        query: z.object({ status: z.enum(["input_required"]), limit: z.string().optional().openapi({ description: "1 … 100, default 50" }) }),
      },
      responses: { 200: { description: "the waiting requests", ...json(z.object({ requests: z.array(RequestState) })) }, ...problems(400, 401, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      if (c.req.query("status") !== "input_required") throw new SwitchboardError("invalid_request", 'query status must be "input_required"');
      const limit = intQuery(c, "limit", 50, 1, 100);
      const result = await agentRef(c.env, name).waitingRequests(senderOf(c.var.principal), limit);
      return result.ok ? c.json({ requests: result.requests }) : failureResponse(result);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/requests/{id}/input",
      tags: ["messaging"],
      summary: "Answer a request that waits for input (status input_required); the agent resumes with the answer and every earlier turn",
      request: { params: z.object({ id: z.string() }), body: { required: true, ...json(InputAnswer) } },
      responses: { 202: { description: "answered; the request resumes", ...json(Waiting) }, ...problems(400, 401, 403, 404, 409) },
    },
    async (c) => {
      const id = c.req.param("id") ?? "";
      const agent = requestAddress(id)?.agent;
      if (!agent) throw new SwitchboardError("request_not_found", `no request ${id.slice(0, 100)}`);
      const body = await jsonBody(c, InputAnswer);
      const result = await agentRef(c.env, agent).forRequest(id).answerInput(id, senderOf(c.var.principal), body.content, "queue");
      return result.ok ? waitingResponse(c, result.request) : failureResponse(result);
    },
  );
}

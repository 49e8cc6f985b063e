/**
 * Patterns over HTTP: `POST /patterns/map-reduce`. The Worker orchestrates; every mapper and the
 * reducer is reached through its own Durable Object, so each call passes that agent's pipeline.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { deadlineAfter } from "../../lib/message/call";
import { problemOf } from "../../lib/message/errors";
import { mapReduce, type MapReduceFailure } from "../../lib/patterns/map-reduce";
import { MapReduceAnswer, MapReduceBody } from "../../lib/patterns/map-reduce-schema";
import { senderOf } from "../../lib/security/keys";
import type { AppEnv } from "../http/app-env";
import { cancelOnDisconnect } from "../http/inbound";
import { problems, route } from "../http/route";
import { jsonBody } from "../http/validate";

export function patternRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/patterns/map-reduce",
      tags: ["patterns"],
      summary: "Split data over mappers in parallel, then reduce",
      description:
        "Chunks are balanced and never empty. When fewer than `min_success` mappers succeed the reducer is not called and the answer is a problem " +
        "with the mappers' common code (e.g. 404, 403, 504) or 502 `agent_error`, plus `stage`, `map_results` and `chunks` extension members.",
      request: { body: { required: true, content: { "application/json": { schema: MapReduceBody } } } },
      responses: {
        200: { description: "the reducer's reply and every map result", content: { "application/json": { schema: MapReduceAnswer } } },
        ...problems(400, 401, 403, 404, 409, 422, 429, 502, 503, 504, 508),
      },
    },
    async (c) => {
      const body = await jsonBody(c, MapReduceBody);
      const outcome = await mapReduce(
        body,
        { from: senderOf(c.var.principal), deadline: deadlineAfter(body.timeout_ms), path: [], traceparent: c.var.traceparent },
        (to, call) => agentRef(c.env, to).invoke(call, cancelOnDisconnect(c)),
      );
      if (!outcome.ok) return mapReduceProblem(outcome);
      const { result, map_results, chunks } = outcome;
      return c.json({ result, map_results, chunks });
    },
  );
}

/** problem+json with RFC 9457 extension members, so a failed map-reduce still shows every map result. */
function mapReduceProblem(f: MapReduceFailure): Response {
  const problem = { ...problemOf(f.code, f.detail), stage: f.stage, chunks: f.chunks, map_results: f.map_results };
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (f.retry_after !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(f.retry_after)));
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}

/**
 * Reading a stream again: GET /streams/:stream_id replays the events after `Last-Event-ID` (or
 * `?last_event_id=`) and then follows the live tail, from the object its id names.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamObject } from "../../lib/agents/agent-ref";
import { SwitchboardError } from "../../lib/message/errors";
import { senderOf } from "../../lib/security/keys";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { problems, route } from "../http/route";
import { lastEventId, streamResponse } from "../http/stream-response";

const sse = { "text/event-stream": { schema: z.string() } };

export function streamRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/streams/{stream_id}",
      tags: ["messaging"],
      summary: "Resume a stream: the events after Last-Event-ID, then its live tail",
      description:
        "The stream's owner (the caller that started it), admin, or the agent. `Last-Event-ID` (or `?last_event_id=`) is the last event id the " +
        "client has; none replays the whole stream. 404 `stream_not_found` once the stream expired (15 min after its end).",
      request: { params: z.object({ stream_id: z.string() }), query: z.object({ last_event_id: z.string().optional() }) },
      responses: {
        200: { description: "the stream (SSE)", content: sse },
        204: { description: "the stream ended and the client has its last event: an EventSource stops reconnecting" },
        ...problems(400, 401, 403, 404),
      },
    },
    async (c) => {
      const id = c.req.param("stream_id") ?? "";
      const object = streamObject(c.env, id);
      if (!object) throw new SwitchboardError("stream_not_found", `no stream ${id.slice(0, 100)}`);
      const after = lastEventId(c);
      const opened = await object.readStream(id, after, senderOf(c.var.principal));
      return opened.ok ? streamResponse(c, { stream_id: id, ...opened }, after) : failureResponse(opened);
    },
  );
}

/**
 * Reading a stream again: GET /streams/:stream_id replays the events after `Last-Event-ID` (or
 * `?last_event_id=`) and then follows the live tail, from the object its id names; DELETE cancels
 * the call writing it.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamObject } from "../../lib/agents/agent-ref";
import { SwitchboardError } from "../../lib/message/errors";
import { senderOf } from "../../lib/security/keys";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { lastEventId, streamResponse } from "../http/stream-response";

const sse = { "text/event-stream": { schema: z.string() } };

const StreamCancelled = z
  .object({
    stream_id: z.string(),
    status: z.literal("cancelled"),
    request_id: z.string().optional().describe("the async request cancelled with its stream"),
  })
  .openapi("StreamCancelled");

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

  route(
    app,
    {
      method: "delete",
      path: "/streams/{stream_id}",
      tags: ["messaging"],
      summary: "Cancel the call writing a stream now: its handler's signal fires, with every sub-call it made",
      description:
        "The stream's readers may cancel it: its owner, admin, or the agent. A streaming invoke is cancelled at once (a disconnect waits " +
        "`SWITCHBOARD_STREAM_GRACE_MS` first); an async request's stream is cancelled with its request, as `DELETE /requests/:id`. The stream " +
        "then ends with an `error` event, code `cancelled`. Cancelling a cancelled stream again is 200; one that already ended otherwise is 409.",
      request: { params: z.object({ stream_id: z.string() }) },
      responses: {
        200: { description: "cancelled", ...json(StreamCancelled) },
        ...problems(401, 403, 404, 409),
      },
    },
    async (c) => {
      const id = c.req.param("stream_id") ?? "";
      const object = streamObject(c.env, id);
      if (!object) throw new SwitchboardError("stream_not_found", `no stream ${id.slice(0, 100)}`);
      const cancelled = await object.cancelStream(id, senderOf(c.var.principal));
      if (!cancelled.ok) return failureResponse(cancelled);
      const { ok: _, ...answer } = cancelled;
      return c.json(answer);
    },
  );
}

/**
 * A stream kept by an agent's object, as the HTTP answer: its events relayed as SSE
 * (lib/streams/stream-relay.ts), resumed from the object if its stream breaks, and the object told
 * when the client goes away (its reader is released; the object decides what that means). With
 * `?format=ai-sdk` the same events are the AI SDK's UI message stream (lib/streams/ai-sdk-ui.ts).
 */
import type { Context } from "hono";
import { streamObject } from "../../lib/agents/agent-ref";
import type { StreamRead } from "../../lib/agents/agent-api";
import { SwitchboardError } from "../../lib/message/errors";
import { senderOf } from "../../lib/security/keys";
import { sseHeaders } from "../../lib/streams/stream-event";
import { KEEP_ALIVE_MS, relayStream, sseBody } from "../../lib/streams/stream-relay";
import { uiChunks } from "../../lib/streams/ai-sdk-ui";
import { createUIMessageStreamResponse } from "ai";
import type { AppEnv } from "./app-env";

/** Whether the client asked for an event stream (`Accept: text/event-stream`). */
export function wantsEventStream(c: Context<AppEnv>): boolean {
  return c.req.query("format") === "ai-sdk" || /\btext\/event-stream\b/i.test(c.req.header("accept") ?? "");
}

/** The id a reconnecting client saw last: `Last-Event-ID`, or `?last_event_id=` for clients that cannot send headers; 0 for none. */
export function lastEventId(c: Context<AppEnv>): number {
  const raw = c.req.header("last-event-id") ?? c.req.query("last_event_id");
  if (raw === undefined || raw === "") return 0;
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 0)
    throw new SwitchboardError("invalid_request", "last_event_id (or the Last-Event-ID header): must be a non-negative integer");
  return id;
}

/**
 * The SSE answer for `opened`, a reader of stream `opened.stream_id`, starting after event `after`.
 * A client that has seen the end already gets 204: the SSE spec's way to tell an EventSource, which
 * reconnects whenever a response ends, to stop.
 */
export function streamResponse(c: Context<AppEnv>, opened: StreamRead & { stream_id: string }, after: number): Response {
  const { stream_id: id } = opened;
  if (opened.done) {
    void opened.body.cancel().catch(() => {});
    return new Response(null, { status: 204, headers: { "x-stream-id": id } });
  }
  const object = () => {
    const found = streamObject(c.env, id);
    if (!found) throw new SwitchboardError("stream_not_found", `no stream ${id}`);
    return found;
  };
  const viewer = senderOf(c.var.principal);
  const events = relayStream(
    opened,
    after,
    {
      resume: async (last) => {
        const again = await object().readStream(id, last, viewer);
        return again.ok ? again : null;
      },
      release: (reader) => object().releaseStream(id, reader),
      waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    },
    c.req.raw.signal,
  );
  if (c.req.query("format") === "ai-sdk") {
    const { "content-type": _type, ...headers } = sseHeaders(id);
    return createUIMessageStreamResponse({ stream: events.pipeThrough(uiChunks()), headers, keepAliveMs: KEEP_ALIVE_MS });
  }
  return new Response(sseBody(events), { status: 200, headers: sseHeaders(id) });
}

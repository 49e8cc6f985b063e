/**
 * A remote HTTP agent that answers `text/event-stream` (docs/agents.md, "Streaming replies"):
 * `delta` events (`{ "text" }` or `{ "value" }`) and `step` events as it produces them, then one
 * `reply` (`{ "content", "metadata"? }`, the JSON reply's shape) or `error` (problem+json). Deltas
 * and steps go to the call's stream as they arrive; the reply is the call's output. A stream that
 * ends without its terminal event lost its connection: a transient `agent_error`.
 */
import type { Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import { sseMessages } from "../streams/sse-read";
import type { StreamSink } from "../streams/stream-sink";

/** Whether `response` is an event stream (else it is the JSON reply). */
export function isEventStream(response: Response): boolean {
  return /^text\/event-stream\b/i.test(response.headers.get("content-type") ?? "");
}

export async function readRemoteStream(body: ReadableStream<Uint8Array>, sink: StreamSink, who: string): Promise<{ content: unknown; metadata?: Metadata }> {
  for await (const message of sseMessages(body)) {
    const data = parse(message.data);
    if (data === undefined)
      throw new SwitchboardError("agent_error", `${who} sent an ${message.event ?? "message"} event whose data is not JSON`, { transient: false });
    switch (message.event) {
      case "delta":
        if (isObject(data) && typeof data.text === "string") sink.delta(data.text);
        else if (isObject(data) && "value" in data) sink.delta(data.value);
        else throw new SwitchboardError("agent_error", `${who} sent a delta without "text" or "value"`, { transient: false });
        break;
      case "step":
        if (isObject(data) && typeof data.type === "string") sink.step({ ...data, type: data.type });
        break;
      case "reply": {
        if (!isObject(data) || !("content" in data))
          throw new SwitchboardError("agent_error", `${who} sent a reply event without "content"`, { transient: false });
        const { content, metadata } = data;
        return isObject(metadata) ? { content, metadata: metadata as Metadata } : { content };
      }
      case "error": {
        const problem = isObject(data) ? data : {};
        const detail = typeof problem.detail === "string" ? problem.detail : typeof problem.title === "string" ? problem.title : "an error event";
        throw new SwitchboardError("agent_error", `${who} failed mid-stream: ${detail}`, { transient: problem.transient === true });
      }
      // Anything else (a `start` of its own, comments, events we do not know) is not ours to relay.
    }
  }
  throw new SwitchboardError("agent_error", `${who} ended its stream before a reply event`, { transient: true });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

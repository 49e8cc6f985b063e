/**
 * The events of a streamed reply (docs/streaming.md), as Server-Sent Events: `start`
 * `{ stream_id, message_id }`, then `delta` (`{ text }` or `{ value }`) and `step` events as the
 * agent produces them, then exactly one terminal event, `reply` (the envelope) or `error`
 * (problem+json). Every event has an `id`, increasing within its stream, which is what a client
 * sends back as `Last-Event-ID` to resume.
 */
import type { Envelope } from "../message/envelope";
import { type Failure, type Problem, problemOf } from "../message/errors";

export type StreamEventType = "start" | "delta" | "step" | "reply" | "error";

export interface StartData {
  stream_id: string;
  message_id: string;
}

/** A chunk of the reply: text, or any JSON value. */
export type DeltaData = { text: string } | { value: unknown };

/** What a `step` event says: a model's tool call or handoff, or an attempt of an async request that failed and will be retried. */
export type StepData = { type: string; [key: string]: unknown };

export type StreamEvent =
  | { event: "start"; data: StartData }
  | { event: "delta"; data: DeltaData }
  | { event: "step"; data: StepData }
  | { event: "reply"; data: Envelope }
  | { event: "error"; data: StreamProblem };

/**
 * An `error` event's data: problem+json, with two extension members (RFC 9457) a streaming caller
 * needs to treat the failure as a plain call's: whether it is `transient`, and `retry_after`.
 */
export type StreamProblem = Problem & { transient?: boolean; retry_after?: number };

export function streamProblem(failure: Failure): StreamProblem {
  return {
    ...problemOf(failure.code, failure.detail),
    transient: failure.transient ?? false,
    ...(failure.retry_after !== undefined ? { retry_after: failure.retry_after } : {}),
  };
}

export type StoredEvent = StreamEvent & { id: number };

export function isTerminal(event: Pick<StreamEvent, "event">): boolean {
  return event.event === "reply" || event.event === "error";
}

/** A delta for `chunk`: strings are text, anything else a JSON value. */
export function deltaOf(chunk: unknown): DeltaData {
  return typeof chunk === "string" ? { text: chunk } : { value: chunk === undefined ? null : chunk };
}

/** The chunk a delta carries: its text, or its value (what `ctx.stream.write` was given). */
export function chunkOf(delta: DeltaData): unknown {
  return "text" in delta ? delta.text : delta.value;
}

/** One event as SSE: `id`, `event`, and its data as one line of JSON. */
export function formatSse(event: StoredEvent): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** A parsed SSE message as one of our events, or null when it is not one (a comment, an unknown event). */
export function parseEvent(message: { id?: string | undefined; event?: string | undefined; data: string }): StoredEvent | null {
  const type = message.event as StreamEventType | undefined;
  if (type !== "start" && type !== "delta" && type !== "step" && type !== "reply" && type !== "error") return null;
  const id = Number(message.id);
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (data === null || typeof data !== "object") return null;
  return { id: Number.isSafeInteger(id) ? id : 0, event: type, data } as StoredEvent;
}

/** The SSE response headers: no caching or proxy buffering, and the stream id for clients that cannot read events' data. */
export function sseHeaders(streamId: string): Record<string, string> {
  return {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "x-stream-id": streamId,
  };
}

/**
 * Reading a stream of our events back from SSE bytes, with `eventsource-parser` (the parser the
 * AI SDK uses): for a sub-agent's stream (`ctx.invokeStream`, a chain forward), the Worker's relay
 * and format adapters. Each message is bounded, so a stream that never ends a line cannot grow
 * memory without limit.
 */
import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";
import type { Envelope } from "../message/envelope";
import { type ErrorCode, ERROR_STATUS, type Failure, failure, type Result } from "../message/errors";
import { type DeltaData, parseEvent, type StartData, type StepData, type StoredEvent } from "./stream-event";

/** The longest one SSE message may be. @default 1048576 (1 MiB) */
export const MAX_SSE_MESSAGE_BYTES = 1024 * 1024;

/** The SSE messages of `body`, as the parser gives them. */
export function sseMessages(body: ReadableStream<Uint8Array>, maxMessageBytes = MAX_SSE_MESSAGE_BYTES): ReadableStream<EventSourceMessage> {
  return body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream({ maxBufferSize: maxMessageBytes, onError: "terminate" }));
}

/** Our events in `body`, in order; other messages (comments, unknown events) are skipped. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StoredEvent> {
  for await (const message of sseMessages(body)) {
    const event = parseEvent(message);
    if (event) yield event;
  }
}

export interface DrainHandlers {
  start?(data: StartData): void;
  delta?(data: DeltaData): void;
  step?(data: StepData): void;
}

/**
 * Reads a stream to its end: `start`, each delta and step to the handlers, and the terminal event
 * as the result — the reply envelope, or the failure its problem names. A stream that ends without
 * one is an `agent_error` (transient: the object that ran it went away).
 */
export async function drainStream(body: ReadableStream<Uint8Array>, handlers: DrainHandlers, who: string): Promise<Result<{ reply: Envelope }>> {
  try {
    for await (const event of readEvents(body)) {
      switch (event.event) {
        case "start":
          handlers.start?.(event.data);
          break;
        case "delta":
          handlers.delta?.(event.data);
          break;
        case "step":
          handlers.step?.(event.data);
          break;
        case "reply":
          return { ok: true, reply: event.data };
        case "error":
          return failureOfProblem(event.data);
      }
    }
  } catch (error) {
    return failure("agent_error", `the stream of ${who} broke: ${(error as Error).message}`, { transient: true });
  }
  return failure("agent_error", `the stream of ${who} ended before its reply`, { transient: true });
}

/** A problem+json from an `error` event as the failure it stands for (an unknown code: `agent_error`). */
export function failureOfProblem(problem: { code?: unknown; detail?: unknown; transient?: unknown; retry_after?: unknown }): Failure {
  const code = typeof problem.code === "string" && problem.code in ERROR_STATUS ? (problem.code as ErrorCode) : "agent_error";
  return failure(code, typeof problem.detail === "string" ? problem.detail : "the stream ended with an error", {
    ...(typeof problem.transient === "boolean" ? { transient: problem.transient } : {}),
    ...(typeof problem.retry_after === "number" ? { retry_after: problem.retry_after } : {}),
  });
}

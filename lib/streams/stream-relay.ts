/**
 * The Worker's end of a stream kept by an agent's object. The events are relayed whole (never half
 * an event), so if the object's stream breaks before its terminal event — the object was evicted or
 * restarted — the relay asks the object again for the events after the last one it passed on, and
 * the client sees one unbroken stream. When the client goes away the object is told its reader is
 * gone (`release`, an explicit call): what happens to the work then is the object's decision.
 */
import type { EventSourceMessage } from "eventsource-parser/stream";
import { problemOf } from "../message/errors";
import { sseMessages } from "./sse-read";

/** Where a relay reads from: one reader of the object's stream. */
export interface RelaySource {
  reader: string;
  body: ReadableStream<Uint8Array>;
}

export interface RelayPorts {
  /** The events after `after` from the object that keeps the stream; null when it has no such stream now. */
  resume(after: number): Promise<RelaySource | null>;
  /** The client left before the end: reader `reader` is gone. */
  release(reader: string): Promise<unknown>;
  /** Keeps the release running after the response ended. */
  waitUntil?(promise: Promise<unknown>): void;
}

/** One event as relayed: its id (null for the relay's own closing error), name and JSON text. */
export interface RelayedEvent {
  id: number | null;
  event: string;
  data: string;
}

/** How often the relay asks the object again before it gives up. @default 3 */
export const MAX_RESUMES = 3;

/** `signal`: the client's (`request.signal`); its abort is the client leaving, as is cancelling the returned stream. */
export function relayStream(first: RelaySource, after: number, ports: RelayPorts, signal?: AbortSignal): ReadableStream<RelayedEvent> {
  let source: RelaySource = first;
  let last = after;
  let resumes = 0;
  let finished = false;
  let iterator: AsyncIterator<EventSourceMessage> | null = null;
  const gone = () => {
    if (finished) return;
    finished = true;
    const released = Promise.all([iterator?.return?.(), ports.release(source.reader)]).catch(() => {});
    ports.waitUntil?.(released);
  };
  signal?.addEventListener("abort", gone, { once: true });
  return new ReadableStream<RelayedEvent>({
    async pull(controller) {
      for (;;) {
        iterator ??= sseMessages(source.body)[Symbol.asyncIterator]();
        let next: IteratorResult<EventSourceMessage>;
        try {
          next = await iterator.next();
        } catch {
          next = { done: true, value: undefined };
        }
        if (finished) return;
        if (!next.done) {
          const { id, event = "message", data } = next.value;
          const seq = Number(id);
          if (Number.isSafeInteger(seq) && seq > 0) last = seq;
          controller.enqueue({ id: Number.isSafeInteger(seq) && seq > 0 ? seq : null, event, data });
          if (event === "reply" || event === "error") {
            finished = true;
            controller.close();
          }
          return;
        }
        // The object's stream ended without its terminal event: ask again from the last event.
        iterator = null;
        const resumed = resumes++ < MAX_RESUMES ? await ports.resume(last).catch(() => null) : null;
        if (!resumed) {
          finished = true;
          // Not an event of the stream, so it has no id: a later reconnect still resumes after `last`.
          const problem = problemOf("agent_error", "lost the stream before its end; reconnect with Last-Event-ID to read what it kept");
          controller.enqueue({ id: null, event: "error", data: JSON.stringify(problem) });
          controller.close();
          return;
        }
        source = resumed;
      }
    },
    cancel: gone,
  });
}

/**
 * How often an SSE response writes a comment line when no event comes. Idle proxies keep the
 * connection open, and a client that went away is noticed: the runtime learns of a disconnect only
 * when a write to it fails, so without these a stream waiting on a slow agent would never know.
 * @default 3000
 */
export const KEEP_ALIVE_MS = 3000;

/** Relayed events as our SSE, with a comment line every `keepAliveMs` (see KEEP_ALIVE_MS). */
export function sseBody(events: ReadableStream<RelayedEvent>, keepAliveMs = KEEP_ALIVE_MS): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const reader = events.getReader();
  let timer: ReturnType<typeof setInterval> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), keepAliveMs);
    },
    async pull(controller) {
      let next: ReadableStreamReadResult<RelayedEvent>;
      try {
        next = await reader.read();
      } catch (error) {
        clearInterval(timer);
        controller.error(error);
        return;
      }
      if (next.done) {
        clearInterval(timer);
        controller.close();
        return;
      }
      const { id, event, data } = next.value;
      controller.enqueue(encoder.encode(`${id === null ? "" : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`));
    },
    async cancel(reason) {
      clearInterval(timer);
      await reader.cancel(reason);
    },
  });
}

/**
 * Reading a Server-Sent Events response the way a client does: incrementally, one event at a time,
 * with the parser the AI SDK uses. No Cloudflare imports, so workerd tests and e2e tests share it.
 */
import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";

export interface SseEvent {
  id: number | null;
  event: string;
  data: any;
}

export class EventReader {
  private readonly reader: ReadableStreamDefaultReader<EventSourceMessage>;
  /** Every event read so far, in order. */
  readonly seen: SseEvent[] = [];

  constructor(readonly response: Response) {
    if (!response.body) throw new Error(`no body (status ${response.status})`);
    this.reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  }

  /** The next event, or null at the end of the stream. */
  async next(): Promise<SseEvent | null> {
    const { value, done } = await this.reader.read();
    if (done) return null;
    const id = value.id === undefined ? null : Number(value.id);
    let data: unknown = value.data;
    try {
      data = JSON.parse(value.data);
    } catch {}
    const event = { id, event: value.event ?? "message", data };
    this.seen.push(event);
    return event;
  }

  /** Reads until an event matches (and returns it); throws if the stream ends first. */
  async until(match: (event: SseEvent) => boolean): Promise<SseEvent> {
    for (;;) {
      const event = await this.next();
      if (!event) throw new Error(`the stream ended before the event waited for; saw ${JSON.stringify(this.seen.map((e) => e.event))}`);
      if (match(event)) return event;
    }
  }

  /** Reads to the end and returns every event read, from the first. */
  async all(): Promise<SseEvent[]> {
    while (await this.next());
    return this.seen;
  }

  /** Stops reading: the client goes away. */
  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}

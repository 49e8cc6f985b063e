/**
 * Where a call's streamed output goes while it runs. Producers (a code agent's `ctx.stream.write`
 * or async iterable, a model's tokens, a remote agent's SSE or A2A stream) write to a `StreamSink`;
 * a streaming call's sink appends events to its stream, a plain call has none. `StreamedReply`
 * sits in front of either: it also keeps the chunks, because a handler that streams and returns
 * nothing answers with what it streamed, so a reply is the same whether the caller streamed or not.
 */
import type { StepData } from "./stream-event";

export interface StreamSink {
  /** A chunk of the reply: a string is text, anything else a JSON value. */
  delta(chunk: unknown): void;
  /** A model's tool call or handoff finished. */
  step(step: StepData): void;
}

export class StreamedReply implements StreamSink {
  private readonly chunks: unknown[] = [];

  constructor(private readonly sink?: StreamSink) {}

  /** Whether the caller is streaming (else chunks are only kept for the reply). */
  get streaming(): boolean {
    return this.sink !== undefined;
  }

  delta(chunk: unknown): void {
    this.chunks.push(chunk);
    this.sink?.delta(chunk);
  }

  step(step: StepData): void {
    this.sink?.step(step);
  }

  /** Whether anything was streamed. */
  get written(): boolean {
    return this.chunks.length > 0;
  }

  /** The reply's content made of the chunks: their text joined when every chunk is text, else the chunks. */
  content(): unknown {
    return this.chunks.every((c) => typeof c === "string") ? this.chunks.join("") : [...this.chunks];
  }
}

/**
 * The writing end of one stream this object runs: `start` once the call is admitted, a `delta` per
 * chunk and a `step` per tool call as the producer makes them, and the terminal `reply` or `error`
 * from the call's result. It counts what it wrote, for the stream's one log row.
 *
 * A stream that may never need storing (`DeferredOpen`: an async request's, whose row can give a
 * plain `start` and `reply` again) is opened only by its first event past `start`, or by a reader
 * that came meanwhile; until then the writer holds its `start`, and its owner may leave the
 * ending unwritten (`unopened`).
 */
import type { Envelope } from "../message/envelope";
import type { Result } from "../message/errors";
import { deltaOf, type StepData, streamProblem } from "./stream-event";
import type { StreamLog } from "./stream-log";
import type { StreamSink } from "./stream-sink";

/** A stream opened on demand: whether it is open (in the log) now, and how to open it. */
export interface DeferredOpen {
  isOpen(): boolean;
  open(): void;
}

export class StreamWriter implements StreamSink {
  private deltas = 0;
  private bytes = 0;
  private started: boolean;
  /** The message id of a `start` held until the deferred stream opens. */
  private heldStart: string | null = null;
  /** Told at the first delta or step (./answer-gate.ts). */
  private firstOutput: (() => void) | null = null;

  /** `started`: the stream already has its `start` (a later attempt of an async request). */
  constructor(
    private readonly log: StreamLog,
    readonly id: string,
    started = false,
    private readonly deferred?: DeferredOpen,
  ) {
    this.started = started;
  }

  /** The `start` event, once; true the first time. */
  start(messageId: string): boolean {
    if (this.started) return false;
    this.started = true;
    if (this.unopened) this.heldStart = messageId;
    else this.log.append(this.id, { event: "start", data: { stream_id: this.id, message_id: messageId } });
    return true;
  }

  /** A deferred stream that was never opened: nothing of it is stored. */
  get unopened(): boolean {
    return this.deferred !== undefined && !this.deferred.isOpen();
  }

  /** The deferred stream opened (a reader came, or an event needs it): its held `start` is written now. */
  opened(): void {
    const messageId = this.heldStart;
    if (messageId === null) return;
    this.heldStart = null;
    this.log.append(this.id, { event: "start", data: { stream_id: this.id, message_id: messageId } });
  }

  private open(): void {
    if (this.unopened) this.deferred?.open();
    this.opened();
  }

  get hasStarted(): boolean {
    return this.started;
  }

  /** Tells `listener` once, when the first delta or step is written. */
  onFirstOutput(listener: () => void): void {
    this.firstOutput = listener;
  }

  private output(): void {
    const listener = this.firstOutput;
    this.firstOutput = null;
    listener?.();
  }

  delta(chunk: unknown): void {
    const data = deltaOf(chunk);
    this.deltas++;
    this.bytes += "text" in data ? data.text.length : (JSON.stringify(data.value)?.length ?? 0);
    this.open();
    this.log.append(this.id, { event: "delta", data });
    this.output();
  }

  step(step: StepData): void {
    this.open();
    this.log.append(this.id, { event: "step", data: step });
    this.output();
  }

  /** The terminal event: the reply envelope, or the failure as problem+json. */
  end(result: Result<{ reply: Envelope }>): void {
    this.open();
    if (result.ok) this.log.append(this.id, { event: "reply", data: result.reply });
    else this.log.append(this.id, { event: "error", data: streamProblem(result) });
  }

  /** What the stream carried, for its log row: "streamed 12 deltas, 345 bytes". */
  summary(): string {
    return `streamed ${this.deltas} delta${this.deltas === 1 ? "" : "s"}, ${this.bytes} bytes`;
  }
}

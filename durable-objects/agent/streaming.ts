/**
 * The streams this object keeps (lib/streams/stream-log.ts). A streaming invoke runs here and writes
 * its events to a new stream, answered as soon as it started; readers attach, and attach again, by
 * its id. When every reader of a streaming invoke has left — its client disconnected — the call is
 * cancelled unless one comes back within the grace period (`SWITCHBOARD_STREAM_GRACE_MS`), so a
 * dropped connection can resume with `Last-Event-ID`. A stream still running when the object went
 * away ends, as the object starts again, with an error event; the `stream-sweep` deadline removes
 * streams whose retention passed.
 */
import type { KeyedInvokeResult, ParkedCall, StreamCancelled, StreamRead, StreamStarted } from "../../lib/agents/agent-api";
import type { Envelope } from "../../lib/message/envelope";
import type { Call, InvokeResult } from "../../lib/message/call";
import { type Failure, failure, type Result } from "../../lib/message/errors";
import { inputRequestOf } from "../../lib/message/input-required";
import { watchOutbound } from "../../lib/protocols/outbound-watch";
import type { RequestView } from "../../lib/protocols/request-store";
import { AnswerGate } from "../../lib/streams/answer-gate";
import { formatSse, type StoredEvent, streamProblem } from "../../lib/streams/stream-event";
import type { AgentEntry } from "../../lib/registry/entry";
import type { ShardAddress } from "../../lib/registry/shards";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { newStreamId, requestStreamId, streamRequestId } from "../../lib/streams/stream-id";
import { STREAM_LIMITS, StreamLog } from "../../lib/streams/stream-log";
import { StreamWriter } from "../../lib/streams/stream-writer";
import type { CallStream } from "./invocation";

/**
 * An async request's attempt as a streaming call, and how it ended: `retrying`, another attempt
 * follows; `replied`, the request's row now holds this very reply, so a stream nobody opened need
 * not be written (`rebuilt` gives it back from the row).
 */
export interface RequestAttempt extends CallStream {
  end(result: InvokeResult, retrying: boolean, replied?: boolean): void;
}

/** A request's stream as its row alone gives it again: who may read it and its events. */
export interface RebuiltStream {
  owner: string | null;
  events: StoredEvent[];
}

/** A keyed streaming call's hooks (./keyed-calls.ts): where it waits if it asks for input, and how it ended. */
export interface StreamKeying {
  park(message: Envelope, question: Envelope): Promise<Result<{ request: RequestView }>>;
  /** The call's answer once its stream has it (or the failure that kept it from starting). */
  ended(result: KeyedInvokeResult): void;
}

/** How long a streaming invoke runs on with no reader before it is cancelled. @default 10000 */
export const DEFAULT_STREAM_GRACE_MS = 10_000;

export interface StreamingDeps {
  ctx: DurableObjectState;
  env: Env;
  deadlines: DeadlineTable;
  /** The agent and shard this object serves: stream ids name it. */
  address: ShardAddress;
  /** Runs a streaming call through the pipeline (Invocation.invoke). */
  invoke(entry: AgentEntry | null, call: Call, stream: CallStream): Promise<InvokeResult>;
  /** Cancels the call running here under `messageId` (Invocation.cancel). */
  cancel(messageId: string, detail: string): boolean;
  /** Stores a call that asked for input as a request waiting at the agent's home object (InputWaiting.park). */
  park(parked: ParkedCall): Promise<Result<{ request: RequestView }>>;
  /** The stream of a request answered by a first attempt whose stream was never stored, from its row (Messaging.rebuiltStream). */
  rebuilt(id: string): RebuiltStream | null;
}

export class Streaming {
  readonly log: StreamLog;
  private sweepScheduled = false;
  /** Writers of first attempts whose stream is not open yet, by stream id: a reader that opens it has their `start` written. */
  private readonly deferred = new Map<string, StreamWriter>();
  /** Running streams with a `stream-orphan` deadline scheduled: a reader attaching cancels it (and only then writes). */
  private readonly orphaning = new Set<string>();

  constructor(private readonly deps: StreamingDeps) {
    const { ctx } = deps;
    this.log = new StreamLog(ctx.storage.sql, {
      sync: () => ctx.storage.sync(),
      readersChanged: (id, readers) => this.readersChanged(id, readers),
      ended: (_id, expiresAt) => this.scheduleSweep(expiresAt),
    });
    deps.deadlines.handle("stream-orphan", (id) => this.orphaned(id));
    deps.deadlines.handle("stream-sweep", () => this.sweep());
  }

  /** On start: streams a previous instance was running cannot go on (their work ran in memory). */
  recover(): void {
    for (const info of this.log.recover()) {
      if (info.kind === "invoke") {
        const lost = failure("agent_error", "the agent's object restarted before the stream ended; call it again", { transient: true });
        this.log.append(info.id, { event: "error", data: streamProblem(lost) });
      } else if (this.log.hasEvents(info.id)) {
        // An async request's attempt died with the object; the request itself is delivered again.
        this.log.append(info.id, { event: "step", data: { type: "interrupted", detail: "the attempt ended with the agent's object; it will be retried" } });
      }
    }
  }

  /**
   * A streaming invoke: runs `call` here, answering once it started (with a reader of its stream)
   * or with why it could not. A call that started is answered once its handler has a request out
   * under way or wrote its first event, at most a few ms later (lib/streams/answer-gate.ts): the
   * caller taking up the stream would otherwise delay that request, which the first token waits for.
   */
  async invoke(entry: AgentEntry | null, call: Call, keying?: StreamKeying): Promise<StreamStarted> {
    const { id, opened, writer } = this.openInvoke(call);
    const messageId = call.message.id;
    const gate = new AnswerGate();
    writer.onFirstOutput(gate.open);
    let began: () => void = () => {};
    const began$ = new Promise<null>((resolve) => {
      began = () => resolve(null);
    });
    const run = watchOutbound(gate.open, () =>
      this.deps.invoke(entry, call, {
        writer,
        started: () => {
          if (writer.start(messageId)) began();
        },
      }),
    )
      .catch((error: unknown) => failure("agent_error", `the stream failed: ${String(error)}`, { transient: true }))
      .then(async (result): Promise<KeyedInvokeResult> => {
        if (!writer.hasStarted) return result;
        const ended = await this.waitIfAsked(call, result, writer, keying);
        writer.end(ended);
        return ended;
      });
    if (keying) void run.then(keying.ended);
    this.deps.ctx.waitUntil(run);
    const refused = await Promise.race([began$, run]);
    if (refused === null) await gate.passed(run);
    if (refused !== null && !writer.hasStarted) {
      if (!refused.ok) {
        // Refused before it started (ACL, breaker, cap…): the caller gets a plain problem, and there is no stream.
        this.log.discard(id);
        return refused;
      }
      writer.start(messageId);
      writer.end(refused);
    }
    if (!opened) return failure("stream_not_found", `stream ${id} ended before it could be read`);
    return { ok: true, stream_id: id, message_id: messageId, ...opened };
  }

  /**
   * A caller at the edge (an HTTP streaming invoke, an MCP tool call with progress) whose agent asked
   * for input: the call becomes a waiting request, as a sync invoke's does, and the stream says so
   * with an `input_required` step (`request_id`, `status`, `status_url`, `input_required`) before its
   * `reply`, the question envelope carrying the `request_id` to answer. Agents calling agents get the
   * question as their reply, as `ctx.invoke` does; A2A parks its own task (lib/a2a/executor.ts).
   */
  private async waitIfAsked(call: Call, result: InvokeResult, writer: StreamWriter, keying?: StreamKeying): Promise<KeyedInvokeResult> {
    const atEdge = call.path.length === 0 && (call.pattern === "invoke" || call.pattern === "mcp");
    const asked = result.ok && atEdge ? inputRequestOf(result.reply) : null;
    if (!result.ok || !asked) return result;
    const parked = await (keying
      ? keying.park(call.message, result.reply)
      : this.deps.park({ message: call.message, question: result.reply, timeout_ms: null }));
    if (!parked.ok) return parked;
    return { ok: true, reply: waitingAs(writer, result.reply, parked.request), waiting: parked.request };
  }

  /**
   * A stream that tells an answer given before (a keyed call's retry, ./keyed-calls.ts): `start`,
   * the `input_required` step when that answer is a question still waiting, then the `reply`.
   */
  replay(call: Call, answer: KeyedInvokeResult & { ok: true }): StreamStarted {
    const { id, opened, writer } = this.openInvoke(call);
    writer.start(call.message.id);
    writer.end({ ok: true, reply: answer.waiting ? waitingAs(writer, answer.reply, answer.waiting) : answer.reply });
    if (!opened) return failure("stream_not_found", `stream ${id} ended before it could be read`);
    return { ok: true, stream_id: id, message_id: call.message.id, ...opened };
  }

  /** A new stream for a streaming invoke, with the caller's reader attached before the first event, so `start` reaches it as it is appended. */
  private openInvoke(call: Call) {
    const id = newStreamId(this.deps.address);
    this.log.open({ id, kind: "invoke", owner: call.message.from, message_id: call.message.id }, Date.now(), true);
    return { id, opened: this.log.read(id, 0), writer: new StreamWriter(this.log, id) };
  }

  /**
   * An async request's stream, `str_<agent>_0_<r>` for `req_<agent>_<r>`: one for all its attempts,
   * opened by its first attempt or its first reader, whichever comes first.
   */
  openRequest(requestId: string, message: { id: string; from: string | null }): string | null {
    const id = requestStreamId(requestId);
    if (id && !this.log.isLive(id)) {
      this.log.open({ id, kind: "request", owner: message.from, message_id: message.id });
      this.deferred.get(id)?.opened();
    }
    return id;
  }

  /**
   * One attempt of an async request, writing to the request's stream; `end` says how it went. A
   * first attempt (`first`: no stream of the request can be stored yet) that nobody reads opens
   * the stream only once it holds more than the row gives again — a delta, a step, a failure —
   * so an attempt that just replies stores no stream at all: most of what an async message cost
   * in SQLite beyond its row.
   */
  attempt(requestId: string, message: { id: string; from: string | null }, first: boolean): RequestAttempt | null {
    const id = requestStreamId(requestId);
    if (!id) return null;
    const deferred = first && !this.log.isLive(id);
    if (!deferred) this.openRequest(requestId, message);
    const writer = deferred
      ? new StreamWriter(this.log, id, false, { isOpen: () => this.log.isLive(id), open: () => this.openRequest(requestId, message) })
      : new StreamWriter(this.log, id, this.log.hasEvents(id));
    if (deferred) this.deferred.set(id, writer);
    return {
      writer,
      started: () => writer.start(message.id),
      end: (result, retrying, replied = false) => {
        this.deferred.delete(id);
        writer.start(message.id);
        // Its row holds the reply, and no reader ever opened the stream: `rebuilt` gives it back.
        if (replied && !retrying && writer.unopened) return;
        // An attempt that another follows (a retry, or a question waiting for its answer) is a step.
        if (!retrying) writer.end(result);
        else if (result.ok) writer.step({ type: "input_required" });
        else writer.step({ type: "retry", code: result.code, detail: result.detail });
      },
    };
  }

  /** An async request ended between attempts (cancelled while pending): its stream, if open, ends the same way. */
  endRequest(requestId: string, message: { id: string }, result: Failure): void {
    const id = requestStreamId(requestId);
    if (!id || !this.log.isLive(id)) return;
    const writer = new StreamWriter(this.log, id, this.log.hasEvents(id));
    writer.start(message.id);
    writer.end(result);
  }

  /** The events of stream `id` after `after`, then its live tail: for its owner, admin (`viewer` null) or the agent itself. */
  read(id: string, after: number, viewer: string | null): Result<StreamRead> {
    const info = this.log.info(id);
    const minutes = STREAM_LIMITS.retentionMs / 60_000;
    if (!info) {
      // Never stored (not merely expired): a request answered by its first attempt has it in its row.
      const rebuilt = this.log.stored(id) ? null : this.deps.rebuilt(id);
      if (!rebuilt) return failure("stream_not_found", `no stream ${id}; streams are kept ${minutes} min after they end`);
      if (viewer !== null && viewer !== rebuilt.owner && viewer !== this.deps.address.agent) return failure("forbidden", `agent ${viewer} may not read ${id}`);
      const events = rebuilt.events.filter((event) => event.id > after);
      return { ok: true, reader: "rebuilt", body: ended(events), done: events.length === 0 };
    }
    if (viewer !== null && viewer !== info.owner && viewer !== this.deps.address.agent) return failure("forbidden", `agent ${viewer} may not read ${id}`);
    const opened = this.log.read(id, after);
    return opened ? { ok: true, ...opened } : failure("stream_not_found", `no stream ${id}`);
  }

  /**
   * `DELETE /streams/:id`, for the stream's readers: a streaming invoke's call is cancelled now, as
   * a disconnect is after its grace period (the handler's signal, then every sub-call); an async
   * request's stream, stored or not yet, is cancelled with its request (`cancelRequest`). Cancelling
   * a cancelled stream again is a no-op; one that ended otherwise is a `conflict`.
   */
  cancel(id: string, viewer: string | null, cancelRequest: (requestId: string) => Result<{ request: RequestView }>): Result<StreamCancelled> {
    const info = this.log.info(id);
    if (!info || info.kind === "request") {
      const requestId = streamRequestId(id);
      const cancelled = requestId ? cancelRequest(requestId) : null;
      if (!requestId || !cancelled || (!cancelled.ok && cancelled.code === "request_not_found")) return failure("stream_not_found", `no stream ${id}`);
      return cancelled.ok ? { ok: true, stream_id: id, status: "cancelled", request_id: requestId } : cancelled;
    }
    if (viewer !== null && viewer !== info.owner && viewer !== this.deps.address.agent) return failure("forbidden", `agent ${viewer} may not cancel ${id}`);
    if (info.state === "ended") {
      const ending = this.log.ending(id);
      if (ending?.code === "cancelled") return { ok: true, stream_id: id, status: "cancelled" };
      return failure("conflict", `${id} already ended: ${ending?.event === "reply" ? "replied" : (ending?.code ?? "ended")}`);
    }
    this.orphaning.delete(id);
    this.deps.cancel(info.message_id, `cancelled by ${viewer ?? "admin"} (DELETE /streams/${id})`);
    return { ok: true, stream_id: id, status: "cancelled" };
  }

  release(id: string, reader: string): void {
    this.log.release(id, reader);
  }

  private get graceMs(): number {
    const configured = Number(this.deps.env.SWITCHBOARD_STREAM_GRACE_MS);
    return Number.isInteger(configured) && configured >= 0 ? configured : DEFAULT_STREAM_GRACE_MS;
  }

  /** A streaming invoke whose readers all left is cancelled after the grace period, unless one attaches again. */
  private readersChanged(id: string, readers: number): void {
    if (this.log.info(id)?.kind !== "invoke") return;
    if (readers > 0) {
      if (this.orphaning.delete(id)) this.deps.deadlines.cancel("stream-orphan", id);
    } else {
      this.orphaning.add(id);
      this.deps.ctx.waitUntil(this.deps.deadlines.schedule("stream-orphan", id, Date.now() + this.graceMs));
    }
  }

  private orphaned(id: string): void {
    this.orphaning.delete(id);
    const info = this.log.info(id);
    if (!info || info.state === "ended" || info.readers > 0 || !this.log.isLive(id)) return;
    this.deps.cancel(info.message_id, `the client disconnected and did not reconnect within ${this.graceMs} ms`);
  }

  private scheduleSweep(at: number): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    this.deps.ctx.waitUntil(this.deps.deadlines.schedule("stream-sweep", "expired", at));
  }

  private async sweep(): Promise<void> {
    this.sweepScheduled = false;
    const next = this.log.sweep(Date.now());
    if (next !== null) this.scheduleSweep(next);
  }
}

const encoder = new TextEncoder();

/** A stream that has ended, as SSE: `events`, then closed. */
function ended(events: StoredEvent[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const event of events) controller.enqueue(encoder.encode(formatSse(event)));
      controller.close();
    },
  });
}

/** A question that waits as `request`: the stream's `input_required` step, and the reply carrying the `request_id` to answer. */
function waitingAs(writer: StreamWriter, question: Envelope, request: RequestView): Envelope {
  const { request_id, status } = request;
  writer.step({ type: "input_required", request_id, status, status_url: `/requests/${request_id}`, input_required: inputRequestOf(question) });
  return { ...question, metadata: { ...question.metadata, request_id } };
}

/**
 * Async messages to this agent (`POST /agents/:name/messages`, ctx.request, verified webhooks): each
 * request is stored first (RequestStore), then enqueued on DELIVERIES; the queue consumer calls
 * `deliver` for every attempt, and the stored row answers `GET /requests/:id`. A request due later
 * is stored `scheduled` and held by the delayed-delivery part until it is released here.
 */
import { agentRef, requestOwner } from "../../lib/agents/agent-ref";
import type { RequestReplay, StreamRead, Submission, Submitted } from "../../lib/agents/agent-api";
import { type Call, deadlineAfter } from "../../lib/message/call";
import type { InvokeResult } from "../../lib/message/call";
import type { Envelope } from "../../lib/message/envelope";
import { type Result, failure } from "../../lib/message/errors";
import { utf8Exceeds } from "../../lib/message/byte-size";
import { newRequestId } from "../../lib/message/ids";
import { afterAttempt, requestLetter } from "../../lib/protocols/async-delivery";
import { MAX_STORED_REPLY_BYTES } from "../../lib/protocols/bounded-body";
import { type BatchedDelivery, type DeliveryAction, delivered, replyDelivery } from "../../lib/protocols/delivery";
import { Debounce } from "../../lib/flow/debounce";
import { flowKeyOf } from "../../lib/flow/flow-config";
import type { PeerStore } from "../../lib/protocols/handshake";
import { SharedTurn } from "../../lib/storage/shared-turn";
import { WriteGroup } from "../../lib/storage/write-group";
import { idempotencyScope, LIVE_STATUSES, type RequestRow, type RequestStore, type RequestView, viewOf } from "../../lib/protocols/request-store";
import { acceptWebhook, type WebhookInput, type WebhookResult } from "../../lib/protocols/inbound-webhook";
import { type AgentEntry, DEFAULT_LIMITS } from "../../lib/registry/entry";
import { objectStub, type Remote } from "../../lib/registry/object-ids";
import type { DeadLetter } from "../../lib/resilience/dead-letter";
import { newDeadLetterId } from "../../lib/resilience/dead-letter-store";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { admissionRefusal } from "../../lib/agents/pipeline";
import { replayScope, type WebhookReplayApi } from "../../lib/security/replay-scope";
import { requestStreamId, streamRequestId } from "../../lib/streams/stream-id";
import { STREAM_LIMITS } from "../../lib/streams/stream-log";
import type { CallStream } from "./invocation";
import { Leases } from "./leases";
import type { RebuiltStream, Streaming } from "./streaming";

export interface MessagingDeps {
  sql: SqlStorage;
  env: Env;
  /** Which of the agent's shards this object is (0: home); its request ids name it. */
  shard: number;
  peers: PeerStore;
  load(): AgentEntry | null;
  /** Runs one attempt through the agent's pipeline (Invocation.invoke), writing to the request's stream. */
  invoke(call: Call, stream?: CallStream): Promise<InvokeResult>;
  /** The requests' streams (./streaming.ts): every attempt writes to its request's. */
  streams: Pick<Streaming, "attempt" | "endRequest" | "openRequest" | "read">;
  /** Cancels the attempt running under `messageId`, if one is (AgentDO.cancel). */
  cancelRunning(messageId: string, detail: string): boolean;
  /** A delivery will be retried (counted in the agent's metrics). */
  retried(): void;
  /** A reply came for a request that was cancelled meanwhile: logged as dropped. */
  dropped(message: Envelope, detail: string): void;
  /** The dead-letter store (durable-objects/dead-letter-do.ts). */
  deadLetters: { put(letter: DeadLetter): Promise<string> };
  deadlines: DeadlineTable;
  /** Keeps work the object's answer does not wait for running (DurableObjectState.waitUntil). */
  waitUntil(promise: Promise<unknown>): void;
  /** How long a pending request waits for its queue message (SWITCHBOARD_DELIVERY_LEASE_MS). */
  leaseMs: number;
  /** Requests due later (./delayed-delivery.ts). */
  delayed: { hold(requestId: string, dueAt: number): Promise<void>; dueAt(requestId: string): number | null; forget(requestId: string): boolean };
  /** Per-key flow control and pause (./flow-control.ts). */
  flow: {
    offer(entry: AgentEntry | null, ready: Array<{ request_id: string; message: Envelope }>): Promise<string[]>;
    admit(entry: AgentEntry | null, requestId: string, message: Envelope): Promise<boolean>;
    done(entry: AgentEntry | null, message: Envelope): Promise<void>;
    forget(requestId: string): boolean;
  };
  /** The request store, shared with the part that keeps requests waiting for input. */
  requests: RequestStore;
  /** An attempt asked for input: the request now waits (InputWaiting.wait). */
  asked(requestId: string): Promise<void>;
  /** A waiting request was cancelled: its wait ends, and an A2A task that mirrors it follows. */
  stopWaiting(row: RequestRow): void;
}

export class Messaging {
  private readonly requests: RequestStore;
  private readonly debounce: Debounce;
  /** Requests being delivered right now, so an overlapping redelivery waits instead of running twice. */
  private readonly delivering = new Set<string>();
  /**
   * Attempts started and not yet settled in their row, each marked when its request is cancelled
   * meanwhile. Only `cancel`, in this object, ends a pending request during its attempt, so the
   * attempt learns of it here rather than by reading its row again.
   */
  private readonly attempts = new Map<string, { cancelled: boolean }>();
  /** Requests submitted close together are stored in one turn: one commit, not one each. */
  private readonly submits = new WriteGroup();

  /** Leases of pending requests: what the alarm enqueues again when its queue message is overdue. */
  readonly leases: Leases;

  constructor(private readonly deps: MessagingDeps) {
    this.requests = deps.requests;
    this.debounce = new Debounce(deps.sql);
    this.leases = new Leases({
      requests: this.requests,
      deadlines: deps.deadlines,
      queue: deps.env.DELIVERIES,
      leaseMs: deps.leaseMs,
      inFlight: this.delivering,
    });
    deps.deadlines.handle("letter", (requestId) => this.sendLetter(requestId));
  }

  /**
   * Records an async request and enqueues its delivery; the same idempotency key returns the same
   * id. A sharded agent's request that must live on another shard (its flow key's, or its
   * idempotency key's: `requestOwner`) is passed on there, once.
   */
  async submit(name: string, entry: AgentEntry | null, submission: Submission): Promise<Submitted> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const from = submission.message.from;
    const refused = admissionRefusal(submission.message, entry, (sender) => this.deps.peers.accepted(sender));
    if (refused) return refused;
    const key = submission.idempotency_key ? idempotencyScope(from, submission.idempotency_key) : undefined;
    // A sharded agent's answer says how to place the next request (AgentRef.submit).
    const sharded = entry.shards > 1 ? { shards: entry.shards, flow: entry.flow ? { key: entry.flow.key } : null } : {};
    const owner = submission.forwarded ? null : requestOwner(entry, submission);
    if (owner !== null && owner !== this.deps.shard) {
      return agentRef(this.deps.env, name)
        .onShard(owner)
        .submit({ ...submission, forwarded: true });
    }
    // Written in the turn it shares with the requests that arrive meanwhile: their rows commit together.
    await this.submits.join();
    const now = Date.now();
    const existing = key ? this.requests.byIdempotencyKey(key, now) : null;
    if (existing) return { ok: true, request_id: existing, duplicate: true, ...sharded };
    const requestId = newRequestId(name, now, this.deps.shard);
    const metadata = { ...submission.message.metadata, request_id: requestId, ...(submission.reply_to ? { reply_to: submission.reply_to } : {}) };
    const message = { ...submission.message, metadata };
    let dueAt = submission.deliver_at ?? null;
    // Debounced (flow.debounce_ms), unless the sender set its own time: the last of a key's window goes.
    const window = entry.flow?.debounce_ms;
    if (window !== undefined && dueAt === null) {
      const placed = this.debounce.place(flowKeyOf(message, entry.flow?.key), requestId, window, now);
      if (placed.supersedes) this.supersede(placed.supersedes, requestId, now);
      dueAt = placed.due_at;
    }
    // A request due later has no queue message yet, so no lease: only its deadline can start it.
    const lease = dueAt === null ? this.leases.until(now) : null;
    this.requests.create({
      request_id: requestId,
      message,
      reply_to: submission.reply_to,
      ...(submission.reply_shard ? { reply_shard: submission.reply_shard } : {}),
      timeout_ms: submission.timeout_ms,
      idempotency_key: key,
      now,
      lease_until: lease,
      status: dueAt === null ? "pending" : "scheduled",
    });
    if (dueAt !== null) {
      await this.deps.delayed.hold(requestId, dueAt);
      return { ok: true, request_id: requestId, duplicate: false, ...sharded };
    }
    // Held by flow control or a pause: pending without a lease, enqueued when its key has room.
    if ((await this.deps.flow.offer(entry, [{ request_id: requestId, message }])).length === 0) {
      this.requests.update(requestId, { lease_until: null }, now);
      return { ok: true, request_id: requestId, duplicate: false, ...sharded };
    }
    await this.leases.watch(lease as number);
    // Accepted once the row and its lease are durable, which the output gate makes this answer wait
    // for; the queue message leaves meanwhile. Should the queue refuse it, or the object go before
    // it left, the lease enqueues it again (its slot stays reserved: the request is still on its way).
    this.deps.waitUntil(this.leases.send([{ request_id: requestId, replay_of: null }], name));
    return { ok: true, request_id: requestId, duplicate: false, ...sharded };
  }

  /** A debounced request replaced by a later one of its key: it ends `superseded` and is never enqueued. */
  private supersede(requestId: string, by: string, now: number): void {
    if (this.requests.get(requestId)?.status !== "scheduled") return;
    this.deps.delayed.forget(requestId);
    this.requests.update(
      requestId,
      { status: "superseded", error: { code: "superseded", detail: `replaced by ${by}, a later message with the same debounce key` } },
      now,
    );
  }

  /**
   * Enqueues pending requests that may go now (released by flow control, or due), each with a
   * lease first: when the queue refuses them, the lease has the alarm enqueue them again.
   */
  async enqueue(requestIds: string[], name: string): Promise<void> {
    const now = Date.now();
    const rows = requestIds.map((id) => this.requests.get(id)).filter((row) => row?.status === "pending") as RequestRow[];
    if (rows.length === 0) return;
    const lease_until = this.leases.until(now);
    for (const row of rows) this.requests.update(row.request_id, { lease_until }, now);
    await this.leases.watch(lease_until);
    await this.leases.send(rows, name);
  }

  /**
   * Scheduled requests whose time came: pending from now on, through flow control, and enqueued
   * with a lease. The status changes before the enqueue, so a delivery that arrives at once finds
   * its request pending; when the queue refuses them, their leases have the alarm enqueue them again.
   */
  async release(name: string, entry: AgentEntry | null, requestIds: string[]): Promise<void> {
    const now = Date.now();
    const due = requestIds.map((id) => this.requests.get(id)).filter((row) => row?.status === "scheduled") as RequestRow[];
    if (due.length === 0) return;
    for (const row of due) this.requests.update(row.request_id, { status: "pending" }, now);
    await this.enqueue(await this.deps.flow.offer(entry, due), name);
  }

  /**
   * The attempts of a queue batch's requests of this object, from one call of the consumer: each
   * runs as its own delivery, concurrently (under the agent's cap), and answers on its own; one
   * that threw answers with its error, so only its message is retried. One call instead of one per
   * message, and the rows' writes of attempts that end together commit together.
   */
  deliverAll(name: string, entry: AgentEntry | null, requestIds: string[]): Promise<BatchedDelivery[]> {
    // The outcomes of attempts that end close together are written in one turn: one commit, not one each.
    const turn = requestIds.length > 1 ? new SharedTurn() : undefined;
    return Promise.all(
      requestIds.map((requestId) =>
        this.deliver(name, entry, requestId, turn).then(
          (action): BatchedDelivery => ({ ok: true, action }),
          (error: unknown): BatchedDelivery => ({ ok: false, error: String(error) }),
        ),
      ),
    );
  }

  /** One delivery attempt of a stored request; with a `turn`, its outcome is written in the turn it shares with its batch's others. */
  async deliver(name: string, entry: AgentEntry | null, requestId: string, turn?: SharedTurn): Promise<DeliveryAction> {
    const row = this.requests.get(requestId);
    if (!row) return { action: "ack" };
    // Redelivered after it was answered (queues deliver at least once): the handler does not run
    // again, but its reply is sent again, in case sending it is what failed (receivers dedupe).
    if (row.status === "replied" && row.reply_to) await this.sendReply(name, row.reply_to, requestId, row.reply_shard);
    if (row.status === "replied") return delivered(row.replay_of);
    if (row.status !== "pending") return { action: "ack" };
    if (this.delivering.has(requestId)) return { action: "retry", delay_seconds: 1 };
    // Held (its key is full, or the agent paused): the message is acked, no attempt is spent, and
    // without a lease only its key's turn enqueues it again.
    if (!(await this.deps.flow.admit(entry, requestId, row.message))) {
      this.requests.update(requestId, { lease_until: null }, Date.now());
      return { action: "ack" };
    }
    this.delivering.add(requestId);
    const mark = { cancelled: false };
    this.attempts.set(requestId, mark);
    const attempt = this.deps.streams.attempt(requestId, row.message, row.attempts === 0);
    let result: InvokeResult;
    turn?.started();
    try {
      const call: Call = {
        message: row.message,
        deadline: deadlineAfter(row.timeout_ms),
        path: [],
        pattern: "async",
        ...(row.input.length ? { input: row.input } : {}),
      };
      result = await this.deps.invoke(call, attempt ?? undefined);
    } finally {
      await this.deps.flow.done(entry, row.message);
      // Still being delivered until its outcome is written: a redelivery meanwhile waits, a cancel marks it.
      await turn?.ended();
      this.delivering.delete(requestId);
      // A redelivery may have started its own attempt meanwhile; that one keeps its mark.
      if (this.attempts.get(requestId) === mark) this.attempts.delete(requestId);
    }
    // Cancelled while the attempt ran: the status stays `cancelled`, and a reply that came anyway is dropped.
    if (mark.cancelled) {
      attempt?.end(result.ok ? failure("cancelled", "the request was cancelled") : result, false);
      if (result.ok) this.deps.dropped(row.message, "reply arrived after the request was cancelled; dropped");
      this.requests.update(requestId, { attempts: row.attempts + 1, lease_until: null }, Date.now());
      return { action: "ack" };
    }
    // A code agent's reply is not bounded by any read: one too large to store fails for good, here,
    // rather than as a failed write that would run the handler again on every redelivery.
    if (result.ok && utf8Exceeds(JSON.stringify(result.reply), MAX_STORED_REPLY_BYTES)) {
      result = failure("agent_error", `${name}: reply too large to keep (over ${MAX_STORED_REPLY_BYTES} bytes)`, { transient: false });
    }
    const outcome = afterAttempt(row, result, entry?.limits ?? { ...DEFAULT_LIMITS }, Date.now(), this.deps.leaseMs);
    // Another attempt follows a retry or an answer to its question: the stream goes on.
    attempt?.end(result, outcome.action.action === "retry" || outcome.patch.status === "input_required", outcome.patch.status === "replied");
    if (outcome.action.action === "dead_lettered") {
      // The final status and the letter's id in one write: from here the row is the letter's outbox.
      this.requests.update(requestId, { ...outcome.patch, letter_id: row.replay_of ?? newDeadLetterId(name), letter_pending: true }, Date.now());
      await this.sendLetterOrRetry(requestId);
      return outcome.action;
    }
    this.requests.update(requestId, outcome.patch, Date.now());
    if (outcome.patch.lease_until) await this.leases.watch(outcome.patch.lease_until);
    if (outcome.patch.status === "input_required") await this.deps.asked(requestId);
    if (outcome.action.action === "retry") this.deps.retried();
    if (result.ok && row.reply_to) await this.sendReply(name, row.reply_to, requestId, row.reply_shard);
    return result.ok ? delivered(row.replay_of) : outcome.action;
  }

  /** Stores a request's dead letter now, or leaves it to a `letter` deadline (retried with backoff) when the store is unreachable. */
  async sendLetterOrRetry(requestId: string): Promise<void> {
    try {
      await this.sendLetter(requestId);
    } catch (error) {
      console.warn(JSON.stringify({ level: "warn", msg: "dead-letter store unreachable; will retry", request_id: requestId, error: String(error) }));
      await this.deps.deadlines.schedule("letter", requestId, Date.now());
    }
  }

  /** Hands the request's pending dead letter to the dead-letter store. Throws while it cannot, so its deadline is retried. */
  async sendLetter(requestId: string): Promise<void> {
    const row = this.requests.get(requestId);
    if (!row?.letter_pending) return;
    await this.deps.deadLetters.put(requestLetter(row));
    this.requests.update(requestId, { letter_pending: false }, Date.now());
  }

  /**
   * `POST /dlq/:id/replay` and `POST /dlq/replay` of requests' letters: each request is pending
   * again, with a fresh retry budget, and all are enqueued together. A request pruned since is
   * recreated from its letter, so a replay works for as long as the letter exists. Each delivery
   * settles its letter (removed when delivered, updated when it fails again). Answers each replay
   * in order: a request that is gone with a letter that does not hold its message cannot be replayed.
   */
  async replay(name: string, replays: RequestReplay[]): Promise<Result<{ request_id: string }>[]> {
    const now = Date.now();
    const lease_until = this.leases.until(now);
    const results = replays.map((replay) => this.reopen(replay, now, lease_until));
    const ready = replays.filter((_, i) => results[i]?.ok).map((replay) => ({ request_id: replay.request_id, replay_of: replay.letter_id }));
    if (ready.length === 0) return results;
    await this.leases.watch(lease_until);
    // Should the queue refuse them, their leases end now and the sweep sends them again.
    await this.leases.send(ready, name);
    return results;
  }

  /** A replayed request's row, pending again under its lease (or recreated from the letter). */
  private reopen(replay: RequestReplay, now: number, lease_until: number): Result<{ request_id: string }> {
    const row = this.requests.get(replay.request_id);
    if (!row) {
      if (!replay.message) return failure("request_not_found", `request ${replay.request_id} is gone and letter ${replay.letter_id} does not hold its message`);
      const { request_id, message, reply_to, timeout_ms, attempts } = replay;
      this.requests.create({ request_id, message, reply_to, timeout_ms, attempts, replay_of: replay.letter_id, now, lease_until });
    } else if (row.status === "failed" || row.status === "dead_lettered" || row.status === "timed_out") {
      // A request whose question timed out is replayed too: it runs again with the answers it had, and asks again.
      this.requests.update(
        replay.request_id,
        { status: "pending", budget_from: row.attempts, replay_of: replay.letter_id, letter_pending: false, lease_until },
        now,
      );
    }
    return { ok: true, request_id: replay.request_id };
  }

  private async sendReply(name: string, replyTo: string, requestId: string, replyShard: number): Promise<void> {
    await this.deps.env.DELIVERIES.send(replyDelivery(name, replyTo, requestId, replyShard), { contentType: "json" });
  }

  /** The stored reply of a request, for the consumer delivering it to `reply_to`; while it waits, the question. */
  replyOf(requestId: string): Envelope | null {
    const row = this.requests.get(requestId);
    return row?.reply ?? row?.question ?? null;
  }

  /** `GET /requests/:id`: admin, the sender, or the agent itself may look. */
  status(name: string, requestId: string, viewer: string | null): Result<{ request: RequestView }> {
    const row = this.requests.get(requestId);
    if (!row) return failure("request_not_found", `no request ${requestId}`);
    if (viewer !== null && viewer !== name && viewer !== row.message.from) return failure("forbidden", `agent ${viewer} may not read ${requestId}`);
    const dueAt = row.status === "scheduled" ? this.deps.delayed.dueAt(requestId) : null;
    return { ok: true, request: { ...viewOf(name, row), ...(dueAt !== null ? { deliver_at: new Date(dueAt).toISOString() } : {}) } };
  }

  /**
   * `GET /requests/:id/stream`: the events of every attempt so far, then the live tail, for the
   * request's viewers. A live request's stream opens here if no attempt opened it yet.
   */
  readStream(name: string, requestId: string, after: number, viewer: string | null): Result<StreamRead & { stream_id: string }> {
    const seen = this.status(name, requestId, viewer);
    if (!seen.ok) return seen;
    const row = this.requests.get(requestId);
    const id = row && LIVE_STATUSES.includes(row.status) ? this.deps.streams.openRequest(requestId, row.message) : requestStreamId(requestId);
    if (!id) return failure("stream_not_found", `no stream for ${requestId}`);
    const opened = this.deps.streams.read(id, after, viewer);
    return opened.ok ? { ...opened, stream_id: id } : opened;
  }

  /**
   * The stream of a request its first attempt answered without storing one (Streaming.attempt):
   * `start` and `reply`, with the ids a stored one has, from its row, for as long as a stored stream
   * is kept after it ends.
   */
  rebuiltStream(streamId: string, now = Date.now()): RebuiltStream | null {
    const requestId = streamRequestId(streamId);
    const row = requestId ? this.requests.get(requestId) : null;
    if (row?.status !== "replied" || !row.reply || row.updated_at + STREAM_LIMITS.retentionMs <= now) return null;
    return {
      owner: row.message.from,
      events: [
        { id: 1, event: "start", data: { stream_id: streamId, message_id: row.message.id } },
        { id: 2, event: "reply", data: row.reply },
      ],
    };
  }

  /**
   * `DELETE /requests/:id`: a request not yet answered (pending, scheduled for later, or waiting
   * for input) ends `cancelled` (the same viewers may ask); an attempt running now is aborted, and
   * with it every sub-call its handler made. Cancelling a cancelled request again is a no-op; one
   * that already ended otherwise is a `conflict`.
   */
  cancel(name: string, requestId: string, viewer: string | null): Result<{ request: RequestView }> {
    const row = this.requests.get(requestId);
    if (!row) return failure("request_not_found", `no request ${requestId}`);
    if (viewer !== null && viewer !== name && viewer !== row.message.from) return failure("forbidden", `agent ${viewer} may not cancel ${requestId}`);
    if (!LIVE_STATUSES.includes(row.status) && row.status !== "cancelled") return failure("conflict", `${requestId} already ended: ${row.status}`);
    if (LIVE_STATUSES.includes(row.status)) {
      const detail = `cancelled by ${viewer ?? "admin"} (DELETE /requests/${requestId})`;
      const error = { code: "cancelled", detail };
      // The abort first: its cancels to the objects of the attempt's sub-calls leave before this
      // turn writes anything, so the output gate does not hold them until the write is durable.
      // The attempt only sees the abort in a later turn, once the status below says `cancelled`.
      const delivering = this.delivering.has(requestId);
      if (delivering) this.deps.cancelRunning(row.message.id, detail);
      const running = this.attempts.get(requestId);
      if (running) running.cancelled = true;
      // An attempt that runs counts as made now, as it will when it stops: the answer and every later read agree.
      const attempts = delivering ? { attempts: row.attempts + 1 } : {};
      this.requests.update(requestId, { status: "cancelled", error, lease_until: null, ...attempts }, Date.now());
      // A scheduled request has no queue message yet: once it is no longer held, nothing starts it; a held one leaves its line.
      if (row.status === "scheduled") this.deps.delayed.forget(requestId);
      else this.deps.flow.forget(requestId);
      // A running attempt ends its stream as it stops; otherwise the stream ends here.
      if (!delivering) this.deps.streams.endRequest(requestId, row.message, failure("cancelled", detail));
      if (row.status === "input_required") this.deps.stopWaiting({ ...row, status: "cancelled", error });
    }
    return this.status(name, requestId, viewer);
  }

  /** POST /webhooks/:agent: verified with this agent's inbound secrets (which never leave here), replay-checked, delivered. */
  async receiveWebhook(name: string, entry: AgentEntry | null, input: WebhookInput): Promise<WebhookResult> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    return acceptWebhook(input, {
      entry,
      now: Date.now,
      replays: async (secret) => objectStub<Remote<WebhookReplayApi>>(this.deps.env.WEBHOOK_REPLAYS, await replayScope(secret)),
      // The same durable path as POST /agents/:name/messages: stored, enqueued, then answered.
      deliver: (call) => this.submit(name, this.deps.load(), { message: call.message, reply_to: null, timeout_ms: null }),
    });
  }
}

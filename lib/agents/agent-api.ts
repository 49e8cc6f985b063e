/**
 * The RPC surface of an agent's Durable Object, grouped by who calls it: clients (Worker routes and
 * other agents' objects), the other shards of the same agent, and the queue consumers. Declared here
 * so callers type their calls without importing the object; `durable-objects/agent-do.ts` implements
 * all three. No method takes the agent's name: an object serves the agent its id was made from.
 * Callers reach these only through the agent reference (./agent-ref.ts), which presents them as
 * `Remote<…>` (lib/registry/object-ids.ts): every method answers a promise.
 */
import type { TaskJson, TaskOwner, TaskQuery, TaskSlice } from "../a2a/task-table";
import type { Envelope } from "../message/envelope";
import type { Result } from "../message/errors";
import type { LoggedRow } from "../observability/message-log";
import type { AgentMetricsReport } from "../observability/prometheus";
import type { TraceRow } from "../observability/trace-index";
import type { FanoutMessage } from "../patterns/fanout";
import type { EmitResult, Observer, ObserverTarget } from "../patterns/observer";
import type { BatchedDelivery } from "../protocols/delivery";
import type { HandshakeOffer, HandshakeResult, Peer } from "../protocols/handshake";
import type { WebhookInput, WebhookResult } from "../protocols/inbound-webhook";
import type { ReplyDisposition } from "../protocols/pending-replies";
import type { RequestView } from "../protocols/request-store";
import type { AgentEntry, StoredConfig } from "../registry/entry";
import type { BreakerEvent, ReplicaView } from "../resilience/breaker-replica";
import type { Admission, BreakerSnapshot } from "../resilience/circuit-breaker";
import type { DeliveryStatus } from "../flow/delivery-status";
import type { FlowHint } from "../registry/shards";
import type { ScheduleBody, ScheduleView } from "../time/schedule";
import type { Call } from "../message/call";
import type { InvokeResult } from "../message/call";

/** A sync call that asked for input: its message as it came in, the question envelope, and its timeout. */
export interface ParkedCall {
  message: Envelope;
  question: Envelope;
  timeout_ms: number | null;
}

/**
 * A sync call with an `idempotency_key` (durable-objects/agent/keyed-calls.ts): `replayed` when the
 * answer is an earlier call's with the same key, whose handler did not run again; `waiting` when
 * that earlier call asked for input and waits as this request.
 */
export type KeyedInvokeResult = InvokeResult & { replayed?: true; waiting?: RequestView };

/** A sync call's idempotency key, and the timeout it asked for (kept by a request that waits for input). */
export interface KeyedCall {
  key: string;
  timeout_ms: number | null;
}

/** An async message on its way in: `POST /agents/:name/messages`, `ctx.request` or a verified webhook. */
export interface Submission {
  message: Envelope;
  reply_to: string | null;
  timeout_ms: number | null;
  idempotency_key?: string;
  /** Epoch ms to deliver at (set once at the edge); absent: now. */
  deliver_at?: number;
  /** The shard of the `reply_to` agent waiting for the reply (a sharded agent's ctx.request); absent: its home object. */
  reply_shard?: number;
  /** Set by a shard that passed the request on to the shard that must hold it (agent-ref.ts `requestOwner`), which keeps it whatever its own count says. */
  forwarded?: true;
}

/**
 * A stored async request; `shards` is the agent's shard count, when it has more than one (callers
 * learn it, as from a sync call), and `flow` its flow key then (null: no flow), so the next request
 * goes straight to the shard that must hold it.
 */
export type Submitted = Result<{ request_id: string; duplicate: boolean; shards?: number; flow?: FlowHint | null }>;

/** What a shard other than home adds to its agent's status: its calls running and the requests it holds. */
export interface ShardStatus {
  in_flight: number;
  held: number;
  scheduled: number;
}

/** What a replay needs to recreate an async request from its dead letter (`POST /dlq/:id/replay`, `POST /dlq/replay`). */
export interface RequestReplay {
  letter_id: string;
  request_id: string;
  /** Absent for letters a queue moved itself, which hold only the queue message. */
  message?: Envelope;
  reply_to: string | null;
  timeout_ms: number | null;
  attempts: number;
}

/**
 * A reader of a stream kept by an agent's object: its SSE bytes after the id asked for, then its live
 * tail. `done`: the stream has ended and holds nothing after that id — the client has seen its end.
 */
export interface StreamRead {
  reader: string;
  body: ReadableStream<Uint8Array>;
  done: boolean;
}

/** A streaming call that started: its stream, the message it answers, and the caller's reader of it. */
export interface StreamOpened extends StreamRead {
  stream_id: string;
  message_id: string;
}

/** `DELETE /streams/:id`: the stream whose call was cancelled; `request_id` when it is an async request's stream. */
export interface StreamCancelled {
  stream_id: string;
  status: "cancelled";
  request_id?: string;
}

/** `shards`, as for a sync call, tells the caller how many objects a sharded agent spreads over. */
export type StreamStarted = Result<StreamOpened> & { shards?: number };

/** A streaming call with an `idempotency_key`: `replayed` when its stream tells an earlier call's answer, whose handler did not run again. */
export type KeyedStreamStarted = StreamStarted & { replayed?: true };

export interface AgentDescription {
  entry: AgentEntry;
  status: { breaker: BreakerSnapshot["state"]; in_flight: number } & DeliveryStatus;
  peers: Peer[];
}

/** What Worker routes and other agents' objects call. */
export interface AgentClientApi {
  /** One sync call through the agent's pipeline. */
  invoke(call: Call): Promise<InvokeResult>;
  /**
   * One sync call with an idempotency key: the first call with `key` from its sender runs through the
   * pipeline, and a reply is kept 24 h; another with the key answers with that reply, or waits for
   * the first while it runs; one that asks for input waits here as a request under the key. Sent to
   * the shard the sender-scoped key names, which passes it on when it is not that shard.
   */
  invokeKeyed(call: Call, keyed: KeyedCall): Promise<KeyedInvokeResult>;
  /**
   * One streaming call through the agent's pipeline: answers once it started, with the reader of its
   * stream (kept here, resumable), or with the failure that kept it from starting (ACL, breaker, cap…).
   */
  invokeStream(call: Call): Promise<StreamStarted>;
  /**
   * A streaming call with an idempotency key, at the shard its key hashes to: the first call with
   * the key streams as `invokeStream` does and keeps its reply under the key; a retry gets a stream
   * of that answer (`start`, then the `reply`), or of the answer of the first once it ends.
   */
  invokeStreamKeyed(call: Call, keyed: KeyedCall): Promise<KeyedStreamStarted>;
  /** The events of a stream kept here after `after`, then its live tail: for its owner (`viewer`), admin (null) or the agent. */
  readStream(streamId: string, after: number, viewer: string | null): Result<StreamRead>;
  /**
   * Cancels the call writing a stream kept here, for the stream's readers: a streaming invoke's now,
   * an async request's with its request (as `cancelRequest`).
   */
  cancelStream(streamId: string, viewer: string | null): Result<StreamCancelled>;
  /** A reader of a stream kept here went away (its client disconnected). */
  releaseStream(streamId: string, reader: string): void;
  /**
   * Cancels the call running here under `messageId` (and, through its handler's signal, every
   * sub-call it made); true when one was running. A cancel that overtook its call waits for it.
   */
  cancel(messageId: string, detail: string): boolean;
  /** The entry (secrets redacted) and this object's live status; null when there is no such agent. */
  describe(): AgentDescription | null;
  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(config: StoredConfig): AgentEntry;
  /** Removes the configuration; true when there was one. */
  unconfigure(): boolean;
  /** Records an async request here and enqueues its delivery; the same idempotency key returns the same id. */
  submit(submission: Submission): Promise<Submitted>;
  /**
   * Replays async requests' dead letters: each pending again (recreated from its letter when its
   * row was pruned), and enqueued together. One answer per replay, in order.
   */
  replayRequests(replays: RequestReplay[]): Promise<Result<{ request_id: string }>[]>;
  /** `GET /requests/:id`: admin (`viewer` null), the sender, or the agent itself may look. */
  requestStatus(requestId: string, viewer: string | null): Result<{ request: RequestView }>;
  /** `DELETE /requests/:id`: the same viewers end a pending or waiting request `cancelled`, aborting an attempt that runs. */
  cancelRequest(requestId: string, viewer: string | null): Result<{ request: RequestView }>;
  /** POST /agents/:name/pause (true) and /resume: hold or release every async delivery; null when there is no such agent. */
  setPaused(paused: boolean): Promise<{ paused: boolean; held: number } | null>;
  /** `POST /agents/:name/schedules` from `from` (null: admin): the body as validated at the edge. */
  createSchedule(body: ScheduleBody, from: string | null): Promise<Result<{ schedule: ScheduleView }>>;
  /** The schedules `viewer` may see (admin and the agent itself: all; a sender: its own); null when there is no such agent. */
  listSchedules(viewer: string | null): ScheduleView[] | null;
  getSchedule(id: string, viewer: string | null): Result<{ schedule: ScheduleView }>;
  deleteSchedule(id: string, viewer: string | null): Result<{ schedule: ScheduleView }>;
  /** Pauses (true) or resumes one schedule. */
  pauseSchedule(id: string, viewer: string | null, paused: boolean): Promise<Result<{ schedule: ScheduleView }>>;
  /**
   * A sync call whose handler asked for input (a reply with `metadata.input_required`) becomes a
   * request waiting here, `input_required`, until it is answered, cancelled or times out.
   */
  park(parked: ParkedCall): Promise<Result<{ request: RequestView }>>;
  /**
   * `POST /requests/:id/input` (mode `queue`) or an A2A follow-up message (mode `now`, answering
   * after the resumed attempt): the answer to a waiting request; `conflict` when it is not waiting.
   */
  answerInput(requestId: string, viewer: string | null, answer: unknown, mode: "queue" | "now"): Promise<Result<{ request: RequestView }>>;
  /** The requests waiting for input here, oldest first: all of them for admin (`viewer` null) and the agent, else the viewer's own. */
  waitingRequests(viewer: string | null, limit: number): Result<{ requests: RequestView[] }>;
  /** An async request's stream (every attempt's events, then the live tail) after `after`, for the request's viewers. */
  readRequestStream(requestId: string, after: number, viewer: string | null): Result<StreamRead & { stream_id: string }>;
  /** POST /webhooks/:agent: verified with this agent's secrets (which never leave the object), replay-checked, delivered. */
  receiveWebhook(input: WebhookInput): Promise<WebhookResult>;
  /** The target's side of a handshake: negotiate, record the caller as a peer, answer. */
  handshake(from: string, offer: Pick<HandshakeOffer, "version" | "capabilities">): Promise<Result<{ result: HandshakeResult }>>;
  /** The caller's side: remember the outcome of a handshake it made (only for agents that exist). */
  recordPeer(peer: Peer): void;
  breakerState(): BreakerSnapshot | null;
  resetBreaker(): BreakerSnapshot | null;
  /** This object's log rows, newest first. */
  messageLog(limit: number, before?: number): LoggedRow[];
  /** This object's rows of one trace, for `GET /traces/:id`. */
  traceRows(traceId: string): TraceRow[];
  /** Counters, latency percentiles and live status of this object; null when there is no such agent. */
  metricsReport(): AgentMetricsReport | null;
  saveTask(task: TaskJson, owner: TaskOwner): TaskJson;
  loadTask(id: string, owner: TaskOwner): TaskJson | null;
  listTasks(query: TaskQuery, owner: TaskOwner): TaskSlice;
  /** SubscribeToTask: the task once its status changes from the one stamped `statusAt`, or null after `waitMs`. */
  watchTask(id: string, owner: TaskOwner, statusAt: string, waitMs: number): Promise<TaskJson | null>;
  /** The agent's observers, or null when there is no such agent. */
  listObservers(): Observer[] | null;
  /** Attaches an observer (idempotent: the same target keeps its id; `created` is false then). */
  attachObserver(target: ObserverTarget): Result<{ observer: Observer; created: boolean }>;
  detachObserver(id: string): boolean;
  /** Fans an event of the agent out: one FANOUT queue message per observer. Returns once enqueued. */
  emit(event: string, data: unknown, traceparent: string | null, path?: string[]): Promise<Result<EmitResult>>;
}

/** What the other objects of a sharded agent call (lib/registry/shards.ts); the home object answers the breaker calls. */
export interface AgentShardApi {
  /** Home object: may a shard's call probe once recovery has passed? */
  breakerAdmit(): Admission;
  /** Home object: a shard reports an outcome that counts. */
  breakerReport(event: BreakerEvent, probe: boolean): void;
  /** A shard: the home object's breaker changed. */
  breakerSync(view: ReplicaView): void;
  /** A shard: the home object's inbound peers, so `require_handshake` admits them on every shard. */
  syncPeers(peers: Peer[]): void;
  /** A shard: the home object's observers changed; these are all of them now. */
  observersSync(observers: Observer[]): void;
  /** Live status of this object (one shard of the agent); null when there is no such agent. */
  shardStatus(): ShardStatus | null;
}

/** What the queue consumers call (functions/consumers). */
export interface AgentQueueApi {
  /**
   * One delivery attempt of each stored request (a queue batch's requests of this object, in one
   * call), run concurrently; each answers on its own, in order.
   */
  deliverAll(requestIds: string[]): Promise<BatchedDelivery[]>;
  /** A reply addressed to this agent (reply_to): resolves its pending request, once. */
  receiveReply(reply: Envelope): Promise<ReplyDisposition>;
  /** The stored reply of a request (replies to `reply_to` travel by reference). */
  replyOf(requestId: string): Envelope | null;
  /** The fan-out consumer gave up on one delivery of this agent's event; kept in its log. */
  fanoutDeadLettered(message: FanoutMessage, error: { code: string; detail: string }, attempts: number): void;
}

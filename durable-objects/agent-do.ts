/**
 * AgentDO: one Durable Object per agent name. A thin shell: it loads the agent's state from its
 * SQLite storage, hands each call to lib/ (the pipeline), persists what changed, and schedules
 * alarms. It holds the registry entry, breaker state, message log, and concurrency slots.
 */
import { DurableObject } from "cloudflare:workers";
import { codeAgents } from "../functions/agents";
import { agentStub, invokeAgent, traceStub } from "../functions/stubs";
import type { Call } from "../lib/agents/call";
import { type ContextPorts, createContext } from "../lib/agents/context";
import { codeEntry } from "../lib/agents/define-agent";
import { executeCall } from "../lib/agents/execute";
import { type InvokeResult, type Outcome, runPipeline, withDeadline } from "../lib/agents/pipeline";
import { type TaskJson, type TaskOwner, type TaskPage, type TaskQuery, TaskTable } from "../lib/a2a/task-table";
import type { Envelope } from "../lib/message/envelope";
import { failure, type Result, SwitchboardError } from "../lib/message/errors";
import { newRequestId } from "../lib/message/ids";
import { outputOf, runBatchPrompt } from "../lib/model/model-agent";
import type { ModelEnv } from "../lib/model/providers";
import { modelClient } from "../lib/model/run-model";
import { type LogRow, MessageLog, preview } from "../lib/observability/message-log";
import { AgentMetrics, percentile } from "../lib/observability/metrics";
import { MessageObserver } from "../lib/observability/observe";
import type { AgentMetricsReport } from "../lib/observability/prometheus";
import { observabilitySwitches } from "../lib/observability/switches";
import { traceIdOf } from "../lib/observability/trace";
import type { TraceRow } from "../lib/observability/trace-index";
import { type FanoutMessage, MAX_EVENT_BYTES, planFanout, sendFanout } from "../lib/patterns/fanout";
import { type EmitResult, type Observer, ObserverTable, type ObserverTarget } from "../lib/patterns/observer";
import { afterAttempt } from "../lib/protocols/async-delivery";
import type { DeliveryAction, DeliveryMessage } from "../lib/protocols/delivery";
import { type HandshakeOffer, type HandshakeResult, negotiate, type Peer, PeerStore } from "../lib/protocols/handshake";
import { PendingReplies, type ReplyDisposition } from "../lib/protocols/pending-replies";
import { RequestStore, type RequestView, viewOf } from "../lib/protocols/request-store";
import { type AgentEntry, BatchConfig, completeEntry, DEFAULT_LIMITS, type StoredConfig } from "../lib/registry/entry";
import { BatchBuffer, type StoredItem } from "../lib/resilience/batch-buffer";
import { flushRow, unclaimedRow } from "../lib/resilience/batch-log";
import { Batcher } from "../lib/resilience/batcher";
import { allShards, parseObjectName, shardCap, shardObjectName } from "../lib/registry/shards";
import { type BreakerEvent, type BreakerPolicy, BreakerReplica, type ReplicaView } from "../lib/resilience/breaker-replica";
import { type Admission, type BreakerSnapshot, type BreakerState, CircuitBreaker } from "../lib/resilience/circuit-breaker";
import { type Deadline, DeadlineTable } from "../lib/resilience/deadline-table";
import { Pool } from "../lib/resilience/pool";
import { mayCall } from "../lib/security/acl";
import { acceptWebhook, type WebhookInput, type WebhookResult } from "../lib/protocols/inbound-webhook";
import { keepStoredSecrets, outboundSecret, redactSecrets } from "../lib/security/agent-secrets";
import { ReplayGuard } from "../lib/security/replay-guard";

const CONFIG_KEY = "config";
const BREAKER_KEY = "breaker";
const NAME_KEY = "name";
const REPLICA_KEY = "breaker_view";

export interface AgentDescription {
  entry: AgentEntry;
  status: { breaker: BreakerSnapshot["state"]; in_flight: number };
  peers: Peer[];
}

/** An async message on its way in: `POST /agents/:name/messages` or `ctx.request`. */
export interface Submission {
  message: Envelope;
  reply_to: string | null;
  timeout_ms: number | null;
  idempotency_key?: string;
}

export class AgentDO extends DurableObject<Env> {
  private readonly log: MessageLog;
  private readonly deadlines: DeadlineTable;
  private readonly requests: RequestStore;
  private readonly pending: PendingReplies;
  private readonly peers: PeerStore;
  /** Requests being delivered right now, so an overlapping redelivery waits instead of running twice. */
  private readonly delivering = new Set<string>();
  private readonly replays: ReplayGuard;
  private readonly observerTable: ObserverTable;
  private name: string | null = null;
  private entry: AgentEntry | null = null;
  /** The agent's breaker: authoritative in the home object (shard 0). */
  private breaker: CircuitBreaker | null = null;
  /** In shards 1…N−1 of a sharded agent: a replica of the home object's breaker. */
  private replica: BreakerReplica | null = null;
  private shard = 0;
  private breakerSaved = "";
  private readonly pool = new Pool(10);
  private readonly batchBuffer: BatchBuffer;
  private readonly batcher: Batcher;
  /** Counters and histograms, updated where the log row is written (lib/observability/metrics.ts). */
  private readonly metrics: AgentMetrics;
  private readonly observer: MessageObserver;
  private a2aTasks: TaskTable | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new MessageLog(ctx.storage.sql);
    this.deadlines = new DeadlineTable(ctx.storage.sql, ctx.storage);
    this.metrics = new AgentMetrics(ctx.storage.sql);
    this.observer = new MessageObserver({
      switches: observabilitySwitches(env),
      metrics: this.metrics,
      // Not awaited: the trace index is off the reply path; a lost note only hides rows from /traces.
      announce: (traceId, agent, at) =>
        ctx.waitUntil(
          traceStub(env, traceId)
            .note(agent, at)
            .catch(() => {}),
        ),
    });
    this.requests = new RequestStore(ctx.storage.sql);
    this.pending = new PendingReplies(ctx.storage.sql);
    this.peers = new PeerStore(ctx.storage.sql);
    this.replays = new ReplayGuard(ctx.storage.sql);
    this.observerTable = new ObserverTable(ctx.storage.sql);
    this.batchBuffer = new BatchBuffer(ctx.storage.sql);
    this.batcher = new Batcher(this.batchBuffer, {
      now: Date.now,
      schedule: (dueAt) =>
        dueAt === null ? Promise.resolve(this.deadlines.cancel("batch", this.name ?? "")) : this.deadlines.schedule("batch", this.name ?? "", dueAt),
      callModel: (items) => this.callBatchModel(items),
      flushed: (report) => this.log.append(flushRow(this.name ?? "", report, Date.now())),
      unclaimed: (item, result) => this.log.append(unclaimedRow(item, result, Date.now())),
    });
    // Items that were in a model call when the object was evicted wait again, and flush at once.
    void ctx.blockConcurrencyWhile(async () => {
      for (const agent of this.batchBuffer.recoverInflight()) await this.deadlines.schedule("batch", agent, Date.now());
    });
  }

  /** The single alarm: runs every deadline that is due, then re-arms for the next one. */
  override async alarm(): Promise<void> {
    for (const deadline of this.deadlines.takeDue(Date.now())) {
      try {
        await this.onDeadline(deadline);
      } catch (error) {
        console.error(JSON.stringify({ level: "error", msg: "deadline handler failed", kind: deadline.kind, key: deadline.key, error: String(error) }));
      }
    }
    await this.deadlines.rearm();
  }

  /** Dispatches a due deadline by kind. Each feature adds its kind here. */
  private async onDeadline(deadline: Deadline): Promise<void> {
    switch (deadline.kind) {
      case "request":
        if (this.pending.expire(deadline.key)) this.logReply(deadline.key, "timed_out");
        return;
      case "batch": {
        const entry = this.load(deadline.key);
        await this.batcher.flushDue(entry?.batch ?? BatchConfig.parse({}));
        break;
      }
      default:
        console.warn(JSON.stringify({ level: "warn", msg: "unknown deadline kind", kind: deadline.kind }));
    }
  }

  /** Loads the entry for `name`: code definition merged with overrides, or the configured entry. */
  private load(name: string): AgentEntry | null {
    if (this.name === name && this.entry) return this.entry;
    const stored = this.ctx.storage.kv.get<string>(NAME_KEY);
    const objectName = this.ctx.id.name ?? stored ?? name;
    const address = parseObjectName(objectName);
    // One object per agent (or shard): a call for another agent reached the wrong object. Never serve it.
    if (address.agent !== name) throw new Error(`AgentDO "${objectName}" was asked to act as "${name}"`);
    this.name = name;
    this.shard = address.shard;
    if (stored !== objectName) this.ctx.storage.kv.put(NAME_KEY, objectName);
    const config = this.ctx.storage.kv.get<StoredConfig>(CONFIG_KEY);
    const definition = codeAgents.get(name);
    this.entry = definition
      ? config
        ? completeEntry(name, config, codeEntry(definition))
        : codeEntry(definition)
      : config
        ? completeEntry(name, config)
        : null;
    if (this.entry) {
      const state = this.ctx.storage.kv.get<BreakerState>(BREAKER_KEY);
      this.breaker = new CircuitBreaker(this.entry.breaker, state);
      this.breakerSaved = JSON.stringify(state ?? null);
      this.replica =
        this.shard === 0 ? null : new BreakerReplica(this.ctx.storage.kv.get<ReplicaView>(REPLICA_KEY) ?? this.viewOf(this.breaker), this.homeBreaker(name));
      this.pool.resize(shardCap(this.entry.limits.max_concurrency, this.entry.shards));
    }
    return this.entry;
  }

  /** The breaker the pipeline consults: the real one at home, the replica in other shards. */
  private get breakerPolicy(): BreakerPolicy | null {
    return this.replica ?? this.breaker;
  }

  private viewOf(breaker: CircuitBreaker): ReplicaView {
    const state = breaker.toJSON();
    return { state: state.state, opened_at: state.opened_at, recovery_timeout_ms: this.entry?.breaker.recovery_timeout_ms ?? 60_000 };
  }

  private homeBreaker(name: string) {
    return {
      admit: () => agentStub(this.env, name).breakerAdmit(name),
      report: (event: BreakerEvent, probe: boolean) => this.ctx.waitUntil(agentStub(this.env, name).breakerReport(name, event, probe)),
    };
  }

  private saveBreaker(): void {
    if (!this.breaker || this.replica) return;
    const state = this.breaker.toJSON();
    const text = JSON.stringify(state);
    if (text === this.breakerSaved) return;
    const before = JSON.parse(this.breakerSaved || "null") as BreakerState | null;
    this.breakerSaved = text;
    this.ctx.storage.kv.put(BREAKER_KEY, state);
    // One logical breaker: every transition of the home object's breaker is pushed to the shards.
    const shards = this.entry?.shards ?? 1;
    if (shards > 1 && this.name && (before?.state !== state.state || before?.opened_at !== state.opened_at)) {
      const view = this.viewOf(this.breaker);
      for (const objectName of allShards(this.name, shards).slice(1)) {
        this.ctx.waitUntil(agentStub(this.env, objectName).breakerSync(this.name, view));
      }
    }
  }

  async invoke(incoming: Call): Promise<InvokeResult> {
    const entry = this.load(incoming.message.to);
    const breaker = this.breakerPolicy;
    if (!entry || !breaker) return failure("agent_not_found", `no agent named ${incoming.message.to}`);
    // The agent's timeout_ms bounds every call; a caller may only ask for less.
    const ownDeadline = Date.now() + entry.limits.timeout_ms;
    const call = { ...incoming, deadline: incoming.deadline ? Math.min(incoming.deadline, ownDeadline) : ownDeadline };
    const ports: ContextPorts = {
      callAgent: (to, outgoing) => this.callOut(to, outgoing),
      request: (to, submission, deadline) => this.requestOut(entry.name, to, submission, deadline),
      handshake: (to) => this.handshakeOut(entry, to),
      notify: async (event, data, origin) => {
        const emitted = await this.emit(entry.name, event, data, origin.traceparent, origin.path);
        if (!emitted.ok) throw new SwitchboardError(emitted.code, emitted.detail);
        return { event_id: emitted.event_id, observers: emitted.observers };
      },
    };
    const result = await runPipeline(call, {
      entry,
      breaker,
      pool: this.pool,
      now: Date.now,
      handshakeAccepted: (from) => this.peers.accepted(from),
      forward: (next, forwarded) => invokeAgent(this.env, next, forwarded),
      execute: (c, signal) =>
        executeCall(entry, c, signal, {
          definition: codeAgents.get(entry.name),
          context: () =>
            createContext({
              self: entry.name,
              message: c.message,
              call: c,
              signal,
              env: this.env as unknown as Record<string, unknown>,
              ports,
              model: modelClient(entry.model, this.modelEnv(), signal),
            }),
          dev: this.env.SWITCHBOARD_DEV === "1",
          signingSecret: outboundSecret(entry, this.env.SWITCHBOARD_SIGNING_SECRET),
          modelEnv: this.modelEnv(),
          batch: (b, signal) => this.submitBatch(entry, b, signal),
        }),
      breakerChanged: () => this.saveBreaker(),
      record: (outcome) => this.record("in", outcome),
    });
    return entry.shards > 1 ? { ...result, shards: entry.shards } : result;
  }

  private modelEnv(): ModelEnv {
    return { bindings: this.env as unknown as Record<string, unknown>, dev: this.env.SWITCHBOARD_DEV === "1" };
  }

  /** A batching agent's execute step: buffer the call, wait for its own item's result. */
  private async submitBatch(entry: AgentEntry, call: Call, signal: AbortSignal) {
    const { message } = call;
    const requestId = (message.metadata.request_id as string | undefined) ?? null;
    const item = {
      // A redelivered async request finds its earlier item (and result) instead of adding another.
      id: requestId ?? message.id,
      agent: entry.name,
      input: message.content,
      meta: { from: message.from, request_id: requestId, traceparent: message.trace.traceparent },
    };
    return outputOf(entry, await this.batcher.submit(item, entry.batch ?? BatchConfig.parse({}), signal));
  }

  private async callBatchModel(items: StoredItem[]): Promise<string> {
    const entry = this.load(items[0]?.agent ?? "");
    if (!entry) throw new SwitchboardError("agent_not_found", `agent ${items[0]?.agent} was deleted while messages waited in its batch`, { transient: false });
    return withDeadline(entry.limits.timeout_ms, `${entry.name} (batch model call)`, (signal) => runBatchPrompt(entry.model, this.modelEnv(), items, signal));
  }

  /** An outgoing call from this agent's handler, logged here as outbound. */
  private async callOut(to: string, call: Call): Promise<InvokeResult> {
    const start = Date.now();
    const result = await invokeAgent(this.env, to, call);
    this.record("out", {
      call,
      outcome: result.ok ? "ok" : result.code,
      duration_ms: Date.now() - start,
      ...(result.ok ? {} : { detail: result.detail }),
    });
    return result;
  }

  private record(direction: "in" | "out", outcome: Outcome): void {
    const { call } = outcome;
    const row: LogRow = {
      id: call.message.id,
      at: new Date().toISOString(),
      direction,
      from: call.message.from,
      to: call.message.to,
      role: call.message.role,
      pattern: call.pattern,
      outcome: outcome.outcome,
      duration_ms: outcome.duration_ms,
      trace_id: traceIdOf(call.message.trace.traceparent),
      request_id: (call.message.metadata.request_id as string | undefined) ?? null,
      preview: preview(call.message.content),
      detail: outcome.detail ?? null,
      depth: call.path.length,
    };
    this.log.append(row);
    this.observer.observe(this.name ?? call.message.to, row);
  }

  describe(name: string): AgentDescription | null {
    const entry = this.load(name);
    if (!entry || !this.breaker) return null;
    return { entry: redactSecrets(entry), status: { breaker: this.breaker.snapshot().state, in_flight: this.pool.inFlight }, peers: this.peers.list() };
  }

  // ── Async messages and request-reply ────────────────────────────────────────────────────────

  /** Records an async request and enqueues its delivery; the same idempotency key returns the same id. */
  async submit(name: string, submission: Submission): Promise<Result<{ request_id: string; duplicate: boolean }>> {
    const entry = this.load(name);
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const from = submission.message.from;
    if (!mayCall(from, entry)) return failure("forbidden", `agent ${from} may not call ${name}`);
    if (entry.require_handshake && from !== null && !this.peers.accepted(from)) {
      return failure("handshake_required", `${name} requires an accepted handshake from ${from}; POST /agents/${name}/handshake first`);
    }
    const now = Date.now();
    // Keys are scoped to the sender, so one caller can never learn another's request through a key.
    const key = submission.idempotency_key ? `${from ?? "admin"}:${submission.idempotency_key}` : undefined;
    const existing = key ? this.requests.byIdempotencyKey(key, now) : null;
    if (existing) return { ok: true, request_id: existing, duplicate: true };
    const requestId = newRequestId(name, now);
    const metadata = { ...submission.message.metadata, request_id: requestId, ...(submission.reply_to ? { reply_to: submission.reply_to } : {}) };
    const message = { ...submission.message, metadata };
    this.requests.create({ request_id: requestId, message, reply_to: submission.reply_to, timeout_ms: submission.timeout_ms, idempotency_key: key, now });
    try {
      await this.env.DELIVERIES.send({ kind: "deliver", agent: name, request_id: requestId } satisfies DeliveryMessage, { contentType: "json" });
    } catch (error) {
      this.requests.remove(requestId);
      throw error;
    }
    return { ok: true, request_id: requestId, duplicate: false };
  }

  /** One delivery attempt of a stored request, called by the queue consumer. */
  async deliver(name: string, requestId: string, replayOf?: string): Promise<DeliveryAction> {
    const entry = this.load(name);
    let row = this.requests.get(requestId);
    if (!row) return { action: "ack" };
    const now = Date.now();
    if (replayOf && (row.status === "dead_lettered" || row.status === "failed")) {
      this.requests.update(requestId, { status: "pending", budget_from: row.attempts }, now);
      row = { ...row, status: "pending", budget_from: row.attempts };
    }
    // Redelivered after it was answered (queues deliver at least once): the handler does not run again.
    if (row.status !== "pending") return { action: "ack" };
    if (this.delivering.has(requestId)) return { action: "retry", delay_seconds: 1 };
    this.delivering.add(requestId);
    let result: InvokeResult;
    try {
      const call: Call = { message: row.message, deadline: row.timeout_ms ? Date.now() + row.timeout_ms : 0, path: [], pattern: "async" };
      result = await this.invoke(call);
    } finally {
      this.delivering.delete(requestId);
    }
    const outcome = afterAttempt(row, result, entry?.limits ?? { ...DEFAULT_LIMITS }, Date.now());
    this.requests.update(requestId, outcome.patch, Date.now());
    if (outcome.action.action === "retry") this.metrics.retry();
    if (result.ok && row.reply_to) {
      const reply = { ...result.reply, to: row.reply_to.startsWith("http") ? result.reply.to : row.reply_to };
      const next: DeliveryMessage = row.reply_to.startsWith("http")
        ? { kind: "post", agent: name, url: row.reply_to, envelope: reply }
        : { kind: "reply", agent: row.reply_to, envelope: reply };
      await this.env.DELIVERIES.send(next, { contentType: "json" });
    }
    return outcome.action;
  }

  /** `GET /requests/:id`: admin, the sender, or the agent itself may look. */
  requestStatus(name: string, requestId: string, viewer: string | null): Result<{ request: RequestView }> {
    const row = this.requests.get(requestId);
    if (!row) return failure("request_not_found", `no request ${requestId}`);
    if (viewer !== null && viewer !== name && viewer !== row.message.from) return failure("forbidden", `agent ${viewer} may not read ${requestId}`);
    return { ok: true, request: viewOf(name, row) };
  }

  /** A reply addressed to this agent (reply_to): resolves its pending request, once. */
  async receiveReply(name: string, reply: Envelope): Promise<ReplyDisposition> {
    const entry = this.load(name);
    const disposition = this.pending.applyReply(reply);
    const requestId = String(reply.metadata.in_reply_to ?? "");
    if (disposition === "applied") this.deadlines.cancel("request", requestId);
    this.logReply(requestId, disposition === "applied" ? "ok" : disposition, reply);
    const definition = codeAgents.get(name);
    if (disposition === "unknown" && entry && definition?.onReply) {
      const call: Call = { message: reply, deadline: Date.now() + entry.limits.timeout_ms, path: [], pattern: "reply" };
      const ports: ContextPorts = {
        callAgent: (to, c) => this.callOut(to, c),
        request: (to, sub, d) => this.requestOut(name, to, sub, d),
        handshake: (to) => this.handshakeOut(entry, to),
      };
      await definition.onReply(
        reply,
        createContext({ self: name, message: reply, call, signal: new AbortController().signal, env: this.env as unknown as Record<string, unknown>, ports }),
      );
    }
    return disposition;
  }

  private logReply(requestId: string, outcome: string, reply?: Envelope): void {
    const row: LogRow = {
      id: reply?.id ?? requestId,
      at: new Date().toISOString(),
      direction: "in",
      from: reply?.from ?? null,
      to: this.name ?? "",
      role: "reply",
      pattern: "reply",
      outcome,
      duration_ms: null,
      trace_id: reply ? traceIdOf(reply.trace.traceparent) : null,
      request_id: requestId,
      preview: reply ? preview(reply.content) : null,
      detail: outcome === "late" ? "reply arrived after the request timed out; dropped" : null,
    };
    this.log.append(row);
    this.observer.observe(this.name ?? row.to, row);
  }

  /** ctx.request: submit to `to` with reply_to = us, record the pending reply, wait until the deadline. */
  private async requestOut(_self: string, to: string, submission: Submission, deadline: number): Promise<Result<{ reply: Envelope }>> {
    const submitted = await agentStub(this.env, to).submit(to, submission);
    if (!submitted.ok) return submitted;
    const requestId = submitted.request_id;
    this.pending.add(requestId, to, deadline, Date.now());
    await this.deadlines.schedule("request", requestId, deadline);
    this.record("out", {
      call: { message: { ...submission.message, metadata: { ...submission.message.metadata, request_id: requestId } }, deadline, path: [], pattern: "async" },
      outcome: "sent",
      duration_ms: 0,
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
    });
    const reply = await Promise.race([this.pending.wait(requestId), timeout]);
    clearTimeout(timer);
    if (reply) return { ok: true, reply };
    if (this.pending.expire(requestId)) {
      this.deadlines.cancel("request", requestId);
      this.logReply(requestId, "timed_out");
    }
    return failure("timeout", `no reply from ${to} to ${requestId} before the deadline`);
  }

  // ── Handshake ───────────────────────────────────────────────────────────────────────────────

  /** The target's side: negotiate, record the caller as a peer, answer. */
  handshake(name: string, from: string, offer: Pick<HandshakeOffer, "version" | "capabilities">): Result<{ result: HandshakeResult }> {
    const entry = this.load(name);
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const result = negotiate(entry, from, offer);
    this.peers.record({
      agent: from,
      direction: "inbound",
      status: result.status,
      version: offer.version,
      capabilities: offer.capabilities,
      reason: result.reason ?? null,
      at: new Date().toISOString(),
    });
    return { ok: true, result };
  }

  /** The caller's side: remember the outcome of a handshake we made (only for agents that exist). */
  recordPeer(name: string, peer: Peer): void {
    if (this.load(name)) this.peers.record(peer);
  }

  private async handshakeOut(self: AgentEntry, to: string): Promise<Result<{ result: HandshakeResult }>> {
    const answered = await agentStub(this.env, to).handshake(to, self.name, { version: self.version, capabilities: self.capabilities });
    if (answered.ok) {
      const { result } = answered;
      this.peers.record({
        agent: to,
        direction: "outbound",
        status: result.status,
        version: result.version,
        capabilities: result.capabilities,
        reason: result.reason ?? null,
        at: new Date().toISOString(),
      });
    }
    return answered;
  }

  // ── Circuit breaker ─────────────────────────────────────────────────────────────────────────

  /** Home object of a sharded agent: a shard asks whether a call may probe once recovery has passed. */
  breakerAdmit(name: string): Admission {
    if (!this.load(name) || !this.breaker) return { ok: false, retryAfterMs: 1000 };
    const admission = this.breaker.admit();
    this.saveBreaker();
    return admission;
  }

  /** Home object of a sharded agent: a shard reports an outcome that counts. */
  breakerReport(name: string, event: BreakerEvent, probe: boolean): void {
    if (!this.load(name) || !this.breaker) return;
    if (event === "success") this.breaker.onSuccess(probe);
    else if (event === "failure") this.breaker.onFailure(probe);
    else this.breaker.onNeutral(probe);
    this.saveBreaker();
  }

  /** Shard of a sharded agent: the home object's breaker changed. */
  breakerSync(name: string, view: ReplicaView): void {
    if (!this.load(name) || !this.replica) return;
    this.replica.update(view);
    this.ctx.storage.kv.put(REPLICA_KEY, view);
  }

  /** Live status of this object (one shard of the agent). */
  shardStatus(name: string): { in_flight: number } | null {
    return this.load(name) ? { in_flight: this.pool.inFlight } : null;
  }

  breakerState(name: string): BreakerSnapshot | null {
    return this.load(name) && this.breaker ? this.breaker.snapshot() : null;
  }

  resetBreaker(name: string): BreakerSnapshot | null {
    if (!this.load(name) || !this.breaker) return null;
    this.breaker.reset();
    this.saveBreaker();
    return this.breaker.snapshot();
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(name: string, config: StoredConfig): AgentEntry {
    this.ctx.storage.kv.put(CONFIG_KEY, keepStoredSecrets(config, this.ctx.storage.kv.get<StoredConfig>(CONFIG_KEY)));
    this.name = null;
    const entry = this.load(name) as AgentEntry;
    this.breaker?.configure(entry.breaker);
    return redactSecrets(entry);
  }

  /** Removes the configuration; true when there was one. */
  unconfigure(name: string): boolean {
    const existed = this.ctx.storage.kv.delete(CONFIG_KEY);
    if (!codeAgents.has(name)) this.ctx.storage.kv.delete(BREAKER_KEY);
    this.name = null;
    this.entry = null;
    return existed;
  }

  /** POST /webhooks/:agent: verified with this agent's secrets (which never leave here), replay-checked, delivered. */
  async receiveWebhook(name: string, input: WebhookInput): Promise<WebhookResult> {
    const entry = this.load(name);
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    return acceptWebhook(input, {
      entry,
      deploymentSecret: this.env.SWITCHBOARD_SIGNING_SECRET,
      now: Date.now,
      remember: (id, ttlMs) => this.replays.remember(id, Date.now(), ttlMs),
      forget: (id) => this.replays.forget(id),
      // The same durable path as POST /agents/:name/messages: stored, enqueued, then answered.
      deliver: (call) => this.submit(name, { message: call.message, reply_to: null, timeout_ms: null }),
    });
  }

  messageLog(limit: number, before?: number) {
    return this.log.recent(limit, before);
  }

  /** This agent's rows of one trace, for `GET /traces/:id`. */
  traceRows(name: string, traceId: string): TraceRow[] {
    return this.log.byTrace(traceId).map((row) => ({ ...row, agent: name }));
  }

  /** Counters, latency percentiles and live status, for `GET /metrics` and `GET /agents/:name/metrics`. */
  metricsReport(name: string): AgentMetricsReport | null {
    const entry = this.load(name);
    if (!entry || !this.breaker) return null;
    const durations = this.log.recentDurations(500);
    return {
      agent: name,
      breaker: this.breaker.snapshot(),
      in_flight: this.pool.inFlight,
      max_concurrency: entry.limits.max_concurrency,
      latency_ms: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), samples: durations.length },
      ...this.metrics.snapshot(),
    };
  }

  /** A2A tasks (lib/a2a/task-table.ts), created on first use. */
  private get tasks(): TaskTable {
    this.a2aTasks ??= new TaskTable(this.ctx.storage.sql);
    return this.a2aTasks;
  }

  saveTask(task: TaskJson, owner: TaskOwner): TaskJson {
    return this.tasks.save(task, owner);
  }

  loadTask(id: string, owner: TaskOwner): TaskJson | null {
    return this.tasks.load(id, owner);
  }

  listTasks(query: TaskQuery, owner: TaskOwner): TaskPage {
    return this.tasks.list(query, owner);
  }

  /** This agent's observers, or null when there is no such agent. */
  listObservers(name: string): Observer[] | null {
    return this.load(name) ? this.observerTable.list() : null;
  }

  /** Attaches an observer (idempotent: the same target keeps its id; `created` is false then). */
  attachObserver(name: string, target: ObserverTarget): Result<{ observer: Observer; created: boolean }> {
    if (!this.load(name)) return failure("agent_not_found", `no agent named ${name}`);
    const attached = this.observerTable.attach(target);
    if ("full" in attached) return failure("invalid_request", `${name} already has the maximum number of observers`);
    return { ok: true, ...attached };
  }

  detachObserver(name: string, id: string): boolean {
    return this.load(name) !== null && this.observerTable.detach(id);
  }

  /** Fans an event of this agent out: one FANOUT queue message per observer. Returns once enqueued. */
  async emit(name: string, event: string, data: unknown, traceparent: string | null, path: string[] = []): Promise<Result<EmitResult>> {
    const entry = this.load(name);
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    if (JSON.stringify(data ?? null).length > MAX_EVENT_BYTES) return failure("payload_too_large", `event data is over ${MAX_EVENT_BYTES} bytes`);
    const { max_retries, retry_delay_ms, max_retry_delay_ms, timeout_ms } = entry.limits;
    const observers = this.observerTable.list();
    const plan = planFanout({
      observed: name,
      event,
      data,
      observers,
      traceparent,
      path,
      policy: { max_retries, retry_delay_ms, max_retry_delay_ms, timeout_ms },
    });
    await sendFanout(this.env.FANOUT, plan.messages);
    this.log.append({
      id: plan.event_id,
      at: new Date().toISOString(),
      direction: "out",
      from: name,
      to: `${observers.length} observers`,
      role: "event",
      pattern: "fanout",
      outcome: "enqueued",
      duration_ms: null,
      trace_id: traceIdOf(traceparent),
      request_id: null,
      preview: preview({ event, data }),
      detail: null,
    });
    return { ok: true, event_id: plan.event_id, observers: observers.length };
  }

  /** The fan-out consumer gave up on one delivery of this agent's event; kept in the log. */
  fanoutDeadLettered(message: FanoutMessage, error: { code: string; detail: string }, attempts: number): void {
    this.log.append({
      id: message.envelope.id,
      at: new Date().toISOString(),
      direction: "out",
      from: message.observed,
      to: message.observer ?? message.url ?? "",
      role: "event",
      pattern: "fanout",
      outcome: "dead_lettered",
      duration_ms: null,
      trace_id: traceIdOf(message.envelope.trace.traceparent),
      request_id: null,
      preview: preview(message.envelope.content),
      detail: `${error.code} after ${attempts} attempts: ${error.detail}`.slice(0, 500),
    });
  }
}

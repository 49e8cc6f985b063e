/**
 * AgentDO: one Durable Object per agent name (or shard). A thin shell and the agent's RPC surface:
 * each method loads the agent's entry and hands the call to one feature helper in ./agent/, which
 * wires lib/ to this object's SQLite storage, env and alarms. One alarm serves a table of deadlines.
 */
import { DurableObject } from "cloudflare:workers";
import type { TaskJson, TaskOwner, TaskPage, TaskQuery } from "../lib/a2a/task-table";
import type { Call } from "../lib/agents/call";
import type { InvokeResult } from "../lib/agents/pipeline";
import type { Envelope } from "../lib/message/envelope";
import type { Result } from "../lib/message/errors";
import type { LoggedRow } from "../lib/observability/message-log";
import type { AgentMetricsReport } from "../lib/observability/prometheus";
import type { TraceRow } from "../lib/observability/trace-index";
import type { FanoutMessage } from "../lib/patterns/fanout";
import type { EmitResult, Observer, ObserverTarget } from "../lib/patterns/observer";
import type { DeliveryAction } from "../lib/protocols/delivery";
import type { HandshakeOffer, HandshakeResult, Peer } from "../lib/protocols/handshake";
import type { WebhookInput, WebhookResult } from "../lib/protocols/inbound-webhook";
import type { ReplyDisposition } from "../lib/protocols/pending-replies";
import type { RequestView } from "../lib/protocols/request-store";
import type { AgentEntry, StoredConfig } from "../lib/registry/entry";
import type { BreakerEvent, ReplicaView } from "../lib/resilience/breaker-replica";
import type { Admission, BreakerSnapshot } from "../lib/resilience/circuit-breaker";
import type { Deadline } from "../lib/resilience/deadline-table";
import { redactSecrets } from "../lib/security/agent-secrets";
import type { Submission } from "./agent/messaging";
import { type AgentParts, createParts } from "./agent/parts";

export type { Submission };

export interface AgentDescription {
  entry: AgentEntry;
  status: { breaker: BreakerSnapshot["state"]; in_flight: number };
  peers: Peer[];
}

export class AgentDO extends DurableObject<Env> {
  // Initialised after super() has set this.ctx and this.env.
  private readonly parts: AgentParts = createParts(this.ctx, this.env, {
    load: (name) => this.load(name),
    invoke: (call) => this.invoke(call),
    emit: (name, event, data, traceparent, path) => this.emit(name, event, data, traceparent, path),
  });
  private readonly deadlines = this.parts.deadlines;
  /** Requests this agent made that wait for replies (tests seed it through the instance). */
  private readonly pending = this.parts.pending;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.parts.batching.recover());
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
        return this.parts.requestReply.expire(deadline.key);
      case "batch":
        return this.parts.batching.flushDue(this.load(deadline.key));
      default:
        console.warn(JSON.stringify({ level: "warn", msg: "unknown deadline kind", kind: deadline.kind }));
    }
  }

  private load(name: string): AgentEntry | null {
    return this.parts.registration.load(name);
  }

  // ── Calls and configuration ─────────────────────────────────────────────────────────────────

  async invoke(incoming: Call): Promise<InvokeResult> {
    return this.parts.invocation.invoke(this.load(incoming.message.to), incoming);
  }

  describe(name: string): AgentDescription | null {
    const entry = this.load(name);
    const breaker = this.parts.breakers.local;
    if (!entry || !breaker) return null;
    return {
      entry: redactSecrets(entry),
      status: { breaker: breaker.snapshot().state, in_flight: this.parts.pool.inFlight },
      peers: this.parts.handshakes.peers.list(),
    };
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(name: string, config: StoredConfig): AgentEntry {
    return this.parts.registration.configure(name, config);
  }

  /** Removes the configuration; true when there was one. */
  unconfigure(name: string): boolean {
    return this.parts.registration.unconfigure(name);
  }

  // ── Async messages and request-reply ────────────────────────────────────────────────────────

  /** Records an async request and enqueues its delivery; the same idempotency key returns the same id. */
  async submit(name: string, submission: Submission): Promise<Result<{ request_id: string; duplicate: boolean }>> {
    return this.parts.messaging.submit(name, this.load(name), submission);
  }

  /** One delivery attempt of a stored request, called by the queue consumer. */
  async deliver(name: string, requestId: string, replayOf?: string): Promise<DeliveryAction> {
    return this.parts.messaging.deliver(name, this.load(name), requestId, replayOf);
  }

  /** `GET /requests/:id`: admin, the sender, or the agent itself may look. */
  requestStatus(name: string, requestId: string, viewer: string | null): Result<{ request: RequestView }> {
    return this.parts.messaging.status(name, requestId, viewer);
  }

  /** A reply addressed to this agent (reply_to): resolves its pending request, once. */
  async receiveReply(name: string, reply: Envelope): Promise<ReplyDisposition> {
    return this.parts.requestReply.receive(name, this.load(name), reply);
  }

  /** POST /webhooks/:agent: verified with this agent's secrets (which never leave here), replay-checked, delivered. */
  async receiveWebhook(name: string, input: WebhookInput): Promise<WebhookResult> {
    return this.parts.messaging.receiveWebhook(name, this.load(name), input);
  }

  // ── Handshake ───────────────────────────────────────────────────────────────────────────────

  /** The target's side: negotiate, record the caller as a peer, answer. */
  handshake(name: string, from: string, offer: Pick<HandshakeOffer, "version" | "capabilities">): Result<{ result: HandshakeResult }> {
    return this.parts.handshakes.answer(name, this.load(name), from, offer);
  }

  /** The caller's side: remember the outcome of a handshake we made (only for agents that exist). */
  recordPeer(name: string, peer: Peer): void {
    this.parts.handshakes.remember(this.load(name), peer);
  }

  // ── Circuit breaker and shards ──────────────────────────────────────────────────────────────

  /** Home object of a sharded agent: a shard asks whether a call may probe once recovery has passed. */
  breakerAdmit(name: string): Admission {
    return this.parts.breakers.admit(this.load(name));
  }

  /** Home object of a sharded agent: a shard reports an outcome that counts. */
  breakerReport(name: string, event: BreakerEvent, probe: boolean): void {
    this.parts.breakers.report(this.load(name), event, probe);
  }

  /** Shard of a sharded agent: the home object's breaker changed. */
  breakerSync(name: string, view: ReplicaView): void {
    this.parts.breakers.sync(this.load(name), view);
  }

  /** Live status of this object (one shard of the agent). */
  shardStatus(name: string): { in_flight: number } | null {
    return this.load(name) ? { in_flight: this.parts.pool.inFlight } : null;
  }

  breakerState(name: string): BreakerSnapshot | null {
    return this.parts.breakers.snapshot(this.load(name));
  }

  resetBreaker(name: string): BreakerSnapshot | null {
    return this.parts.breakers.reset(this.load(name));
  }

  // ── Observability ───────────────────────────────────────────────────────────────────────────

  messageLog(limit: number, before?: number): LoggedRow[] {
    return this.parts.observability.recent(limit, before);
  }

  /** This agent's rows of one trace, for `GET /traces/:id`. */
  traceRows(name: string, traceId: string): TraceRow[] {
    return this.parts.observability.traceRows(name, traceId);
  }

  /** Counters, latency percentiles and live status, for `GET /metrics` and `GET /agents/:name/metrics`. */
  metricsReport(name: string): AgentMetricsReport | null {
    return this.parts.observability.report(name, this.load(name), this.parts.breakers.local, this.parts.pool.inFlight);
  }

  // ── A2A tasks and observers ─────────────────────────────────────────────────────────────────

  saveTask(task: TaskJson, owner: TaskOwner): TaskJson {
    return this.parts.tasks.save(task, owner);
  }

  loadTask(id: string, owner: TaskOwner): TaskJson | null {
    return this.parts.tasks.load(id, owner);
  }

  listTasks(query: TaskQuery, owner: TaskOwner): TaskPage {
    return this.parts.tasks.list(query, owner);
  }

  /** This agent's observers, or null when there is no such agent. */
  listObservers(name: string): Observer[] | null {
    return this.parts.observers.list(this.load(name));
  }

  /** Attaches an observer (idempotent: the same target keeps its id; `created` is false then). */
  attachObserver(name: string, target: ObserverTarget): Result<{ observer: Observer; created: boolean }> {
    return this.parts.observers.attach(name, this.load(name), target);
  }

  detachObserver(name: string, id: string): boolean {
    return this.parts.observers.detach(this.load(name), id);
  }

  /** Fans an event of this agent out: one FANOUT queue message per observer. Returns once enqueued. */
  async emit(name: string, event: string, data: unknown, traceparent: string | null, path: string[] = []): Promise<Result<EmitResult>> {
    return this.parts.observers.emit(name, this.load(name), event, data, traceparent, path);
  }

  /** The fan-out consumer gave up on one delivery of this agent's event; kept in the log. */
  fanoutDeadLettered(message: FanoutMessage, error: { code: string; detail: string }, attempts: number): void {
    this.parts.observers.deadLettered(message, error, attempts);
  }
}

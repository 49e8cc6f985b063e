/**
 * The agent's Durable Object: one per agent name (or shard). A thin shell over ./agent/: each RPC
 * method loads the agent's entry and hands the call to one feature part, which wires lib/ to this
 * object's SQLite storage, env and alarms. One alarm serves a table of deadlines, each kind handled
 * by the part that scheduled it.
 *
 * The agent it serves is the name its id was made from (`ctx.id.name`), so no method takes a name.
 * The methods are grouped by caller as lib/agents/agent-api.ts declares them. Code agents come in
 * from the Worker entry (`agentObject(codeAgents)`), so this layer never imports functions/.
 */
import { DurableObject } from "cloudflare:workers";
import type { TaskJson, TaskOwner, TaskQuery, TaskSlice } from "../lib/a2a/task-table";
import type {
  AgentClientApi,
  AgentDescription,
  AgentQueueApi,
  AgentShardApi,
  KeyedCall,
  KeyedInvokeResult,
  KeyedStreamStarted,
  ParkedCall,
  RequestReplay,
  ShardStatus,
  StreamCancelled,
  StreamRead,
  StreamStarted,
  Submission,
  Submitted,
} from "../lib/agents/agent-api";
import type { Call } from "../lib/message/call";
import { type CodeAgents, servedAgents } from "../lib/agents/define-agent";
import type { InvokeResult } from "../lib/message/call";
import type { Envelope } from "../lib/message/envelope";
import type { Result } from "../lib/message/errors";
import type { LoggedRow } from "../lib/observability/message-log";
import type { DeliveryStatus } from "../lib/flow/delivery-status";
import type { AgentMetricsReport } from "../lib/observability/prometheus";
import type { TraceRow } from "../lib/observability/trace-index";
import type { FanoutMessage } from "../lib/patterns/fanout";
import type { EmitResult, Observer, ObserverTarget } from "../lib/patterns/observer";
import type { BatchedDelivery } from "../lib/protocols/delivery";
import type { HandshakeOffer, HandshakeResult, Peer } from "../lib/protocols/handshake";
import type { WebhookInput, WebhookResult } from "../lib/protocols/inbound-webhook";
import type { ReplyDisposition } from "../lib/protocols/pending-replies";
import type { RequestView } from "../lib/protocols/request-store";
import type { AgentEntry, StoredConfig } from "../lib/registry/entry";
import type { BreakerEvent, ReplicaView } from "../lib/resilience/breaker-replica";
import type { Admission, BreakerSnapshot } from "../lib/resilience/circuit-breaker";
import { redactSecrets } from "../lib/security/agent-secrets";
import type { ScheduleBody, ScheduleView } from "../lib/time/schedule";
import { type AgentParts, createParts } from "./agent/parts";

/** The agent object class for a deployment's code agents; the Worker entry exports it as `AgentDO`. */
export function agentObject(codeAgents: CodeAgents) {
  return class AgentObject extends DurableObject<Env> implements AgentClientApi, AgentShardApi, AgentQueueApi {
    // Initialised after super() has set this.ctx and this.env.
    private readonly parts: AgentParts = createParts(this.ctx, this.env, servedAgents(codeAgents, this.env), {
      invoke: (call) => this.invoke(call),
      emit: (event, data, traceparent, path) => this.emit(event, data, traceparent, path),
    });

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env);
      void ctx.blockConcurrencyWhile(async () => {
        this.parts.streaming.recover();
        await this.parts.deadlines.start();
        await this.parts.batching.recover();
      });
    }

    /** The single alarm: runs every deadline that is due, each by the part that scheduled its kind (a failed one stays, retried with backoff), then re-arms. */
    override async alarm(): Promise<void> {
      await this.parts.deadlines.runDue(Date.now());
    }

    private load(): AgentEntry | null {
      return this.parts.registration.load();
    }

    private get agent(): string {
      return this.parts.registration.agent;
    }

    // ── Clients: Worker routes and other agents ─────────────────────────────────────────────────

    async invoke(incoming: Call): Promise<InvokeResult> {
      return this.parts.invocation.invoke(this.parts.registration.loadFor(incoming.message.to), incoming);
    }

    async invokeKeyed(incoming: Call, keyed: KeyedCall): Promise<KeyedInvokeResult> {
      return this.parts.keyed.invoke(this.agent, this.parts.registration.loadFor(incoming.message.to), incoming, keyed);
    }

    async invokeStream(incoming: Call): Promise<StreamStarted> {
      const entry = this.parts.registration.loadFor(incoming.message.to);
      const started = await this.parts.streaming.invoke(entry, incoming);
      return entry && entry.shards > 1 ? { ...started, shards: entry.shards } : started;
    }

    async invokeStreamKeyed(incoming: Call, keyed: KeyedCall): Promise<KeyedStreamStarted> {
      return this.parts.keyed.stream(this.agent, this.parts.registration.loadFor(incoming.message.to), incoming, keyed);
    }

    readStream(streamId: string, after: number, viewer: string | null): Result<StreamRead> {
      return this.parts.streaming.read(streamId, after, viewer);
    }

    cancelStream(streamId: string, viewer: string | null): Result<StreamCancelled> {
      return this.parts.streaming.cancel(streamId, viewer, (requestId) => this.parts.messaging.cancel(this.agent, requestId, viewer));
    }

    releaseStream(streamId: string, reader: string): void {
      this.parts.streaming.release(streamId, reader);
    }

    cancel(messageId: string, detail: string): boolean {
      return this.parts.invocation.cancel(messageId, detail);
    }

    describe(): AgentDescription | null {
      const entry = this.load();
      const breaker = this.parts.breakers.local;
      if (!entry || !breaker) return null;
      return {
        entry: redactSecrets(entry),
        status: { breaker: breaker.snapshot().state, in_flight: this.parts.pool.inFlight, ...this.deliveryStatus() },
        peers: this.parts.handshakes.peers.list(),
      };
    }

    private deliveryStatus(): DeliveryStatus {
      const { flow, delayed, schedules } = this.parts;
      const next = schedules.nextFiring();
      return {
        paused: flow.paused,
        held: flow.heldCount(),
        scheduled: delayed.count(),
        schedules: schedules.count(),
        next_firing_at: next === null ? null : new Date(next).toISOString(),
      };
    }

    async setPaused(paused: boolean): Promise<{ paused: boolean; held: number } | null> {
      if (!this.load()) return null;
      await this.parts.flow.setPaused(paused);
      if (!paused) await this.parts.schedules.resumeAll();
      return { paused, held: this.parts.flow.heldCount() };
    }

    configure(config: StoredConfig): AgentEntry {
      const entry = this.parts.registration.configure(config);
      this.parts.metricsPush.changed();
      return entry;
    }

    unconfigure(): boolean {
      const existed = this.parts.registration.unconfigure();
      // A configured agent's series leave /metrics with it; a code agent's report loses its overrides.
      if (existed) this.parts.metricsPush.changed();
      // A deleted agent's schedules go with it; a code agent still exists and keeps them.
      if (existed && !this.load()) this.parts.schedules.removeAll();
      return existed;
    }

    async submit(submission: Submission): Promise<Submitted> {
      return this.parts.messaging.submit(this.agent, this.load(), submission);
    }

    requestStatus(requestId: string, viewer: string | null): Result<{ request: RequestView }> {
      return this.parts.messaging.status(this.agent, requestId, viewer);
    }

    readRequestStream(requestId: string, after: number, viewer: string | null): Result<StreamRead & { stream_id: string }> {
      return this.parts.messaging.readStream(this.agent, requestId, after, viewer);
    }

    cancelRequest(requestId: string, viewer: string | null): Result<{ request: RequestView }> {
      return this.parts.messaging.cancel(this.agent, requestId, viewer);
    }

    async replayRequests(replays: RequestReplay[]): Promise<Result<{ request_id: string }>[]> {
      this.load();
      return this.parts.messaging.replay(this.agent, replays);
    }

    async createSchedule(body: ScheduleBody, from: string | null): Promise<Result<{ schedule: ScheduleView }>> {
      return this.parts.schedules.create(this.load(), body, from);
    }

    listSchedules(viewer: string | null): ScheduleView[] | null {
      return this.load() ? this.parts.schedules.list(viewer) : null;
    }

    getSchedule(id: string, viewer: string | null): Result<{ schedule: ScheduleView }> {
      this.load();
      return this.parts.schedules.get(id, viewer);
    }

    deleteSchedule(id: string, viewer: string | null): Result<{ schedule: ScheduleView }> {
      this.load();
      return this.parts.schedules.remove(id, viewer);
    }

    async pauseSchedule(id: string, viewer: string | null, paused: boolean): Promise<Result<{ schedule: ScheduleView }>> {
      this.load();
      return this.parts.schedules.setPaused(id, viewer, paused);
    }

    async park(parked: ParkedCall): Promise<Result<{ request: RequestView }>> {
      return this.parts.waiting.park(this.agent, this.load(), parked);
    }

    async answerInput(requestId: string, viewer: string | null, answer: unknown, mode: "queue" | "now"): Promise<Result<{ request: RequestView }>> {
      this.load();
      return this.parts.waiting.answer(this.agent, requestId, viewer, answer, mode);
    }

    waitingRequests(viewer: string | null, limit: number): Result<{ requests: RequestView[] }> {
      return this.parts.waiting.list(this.agent, this.load(), viewer, limit);
    }

    async receiveWebhook(input: WebhookInput): Promise<WebhookResult> {
      return this.parts.messaging.receiveWebhook(this.agent, this.load(), input);
    }

    async handshake(from: string, offer: Pick<HandshakeOffer, "version" | "capabilities">): Promise<Result<{ result: HandshakeResult }>> {
      return this.parts.handshakes.answer(this.agent, this.load(), from, offer);
    }

    recordPeer(peer: Peer): void {
      this.parts.handshakes.remember(this.load(), peer);
    }

    breakerState(): BreakerSnapshot | null {
      return this.parts.breakers.snapshot(this.load());
    }

    resetBreaker(): BreakerSnapshot | null {
      return this.parts.breakers.reset(this.load());
    }

    messageLog(limit: number, before?: number): LoggedRow[] {
      return this.parts.observability.recent(limit, before);
    }

    traceRows(traceId: string): TraceRow[] {
      return this.parts.observability.traceRows(this.agent, traceId);
    }

    metricsReport(): AgentMetricsReport | null {
      const report = this.parts.observability.report(this.agent, this.load(), this.parts.breakers.local, this.parts.pool.inFlight);
      return report && { ...report, deliveries: this.deliveryStatus() };
    }

    saveTask(task: TaskJson, owner: TaskOwner): TaskJson {
      return this.parts.tasks.save(task, owner);
    }

    loadTask(id: string, owner: TaskOwner): TaskJson | null {
      return this.parts.tasks.load(id, owner);
    }

    listTasks(query: TaskQuery, owner: TaskOwner): TaskSlice {
      return this.parts.tasks.list(query, owner);
    }

    watchTask(id: string, owner: TaskOwner, statusAt: string, waitMs: number): Promise<TaskJson | null> {
      return this.parts.tasks.watch(id, owner, statusAt, waitMs);
    }

    listObservers(): Observer[] | null {
      return this.parts.observers.list(this.load());
    }

    attachObserver(target: ObserverTarget): Result<{ observer: Observer; created: boolean }> {
      return this.parts.observers.attach(this.agent, this.load(), target);
    }

    detachObserver(id: string): boolean {
      return this.parts.observers.detach(this.load(), id);
    }

    async emit(event: string, data: unknown, traceparent: string | null, path: string[] = []): Promise<Result<EmitResult>> {
      return this.parts.observers.emit(this.agent, this.load(), event, data, traceparent, path);
    }

    // ── Shard peers: the other objects of a sharded agent ───────────────────────────────────────

    breakerAdmit(): Admission {
      return this.parts.breakers.admit(this.load());
    }

    breakerReport(event: BreakerEvent, probe: boolean): void {
      this.parts.breakers.report(this.load(), event, probe);
    }

    breakerSync(view: ReplicaView): void {
      this.parts.breakers.sync(this.load(), view);
    }

    syncPeers(peers: Peer[]): void {
      this.parts.handshakes.sync(this.load(), peers);
    }

    observersSync(observers: Observer[]): void {
      this.parts.observers.adopt(observers);
    }

    shardStatus(): ShardStatus | null {
      return this.load() ? { in_flight: this.parts.pool.inFlight, held: this.parts.flow.heldCount(), scheduled: this.parts.delayed.count() } : null;
    }

    // ── Queue consumers ─────────────────────────────────────────────────────────────────────────

    async deliverAll(requestIds: string[]): Promise<BatchedDelivery[]> {
      return this.parts.messaging.deliverAll(this.agent, this.load(), requestIds);
    }

    async receiveReply(reply: Envelope): Promise<ReplyDisposition> {
      return this.parts.requestReply.receive(this.load(), reply);
    }

    replyOf(requestId: string): Envelope | null {
      this.load();
      return this.parts.messaging.replyOf(requestId);
    }

    fanoutDeadLettered(message: FanoutMessage, error: { code: string; detail: string }, attempts: number): void {
      this.parts.observers.deadLettered(message, error, attempts);
    }
  };
}

export type AgentObject = InstanceType<ReturnType<typeof agentObject>>;

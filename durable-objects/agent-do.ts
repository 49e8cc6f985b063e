/**
 * AgentDO: one Durable Object per agent name. A thin shell: it loads the agent's state from its
 * SQLite storage, hands each call to lib/ (the pipeline), persists what changed, and schedules
 * alarms. It holds the registry entry, breaker state, message log, and concurrency slots.
 */
import { DurableObject } from "cloudflare:workers";
import { codeAgents } from "../functions/agents";
import { agentStub, traceStub } from "../functions/stubs";
import type { Call } from "../lib/agents/call";
import { type ContextPorts, createContext } from "../lib/agents/context";
import { codeEntry } from "../lib/agents/define-agent";
import { executeCall } from "../lib/agents/execute";
import { type InvokeResult, type Outcome, runPipeline } from "../lib/agents/pipeline";
import { failure } from "../lib/message/errors";
import { type LogRow, MessageLog, preview } from "../lib/observability/message-log";
import { AgentMetrics, percentile } from "../lib/observability/metrics";
import { MessageObserver } from "../lib/observability/observe";
import type { AgentMetricsReport } from "../lib/observability/prometheus";
import { observabilitySwitches } from "../lib/observability/switches";
import { traceIdOf } from "../lib/observability/trace";
import type { TraceRow } from "../lib/observability/trace-index";
import { type AgentConfig, type AgentEntry, completeEntry } from "../lib/registry/entry";
import { type BreakerSnapshot, type BreakerState, CircuitBreaker } from "../lib/resilience/circuit-breaker";
import { type Deadline, DeadlineTable } from "../lib/resilience/deadline-table";
import { Pool } from "../lib/resilience/pool";

const CONFIG_KEY = "config";
const BREAKER_KEY = "breaker";

export interface AgentDescription {
  entry: AgentEntry;
  status: { breaker: BreakerSnapshot["state"]; in_flight: number };
}

export class AgentDO extends DurableObject<Env> {
  private readonly log: MessageLog;
  private readonly deadlines: DeadlineTable;
  private name: string | null = null;
  private entry: AgentEntry | null = null;
  private breaker: CircuitBreaker | null = null;
  private breakerSaved = "";
  private readonly pool = new Pool(10);
  /** Counters and histograms, updated where the log row is written (lib/observability/metrics.ts). */
  private readonly metrics: AgentMetrics;
  private readonly observer: MessageObserver;

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
      default:
        console.warn(JSON.stringify({ level: "warn", msg: "unknown deadline kind", kind: deadline.kind }));
    }
  }

  /** Loads the entry for `name`: code definition merged with overrides, or the configured entry. */
  private load(name: string): AgentEntry | null {
    if (this.name === name && this.entry) return this.entry;
    this.name = name;
    const config = this.ctx.storage.kv.get<AgentConfig>(CONFIG_KEY);
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
      this.pool.resize(this.entry.limits.max_concurrency);
    }
    return this.entry;
  }

  private saveBreaker(): void {
    if (!this.breaker) return;
    const state = this.breaker.toJSON();
    const text = JSON.stringify(state);
    if (text === this.breakerSaved) return;
    this.breakerSaved = text;
    this.ctx.storage.kv.put(BREAKER_KEY, state);
  }

  async invoke(incoming: Call): Promise<InvokeResult> {
    const entry = this.load(incoming.message.to);
    if (!entry || !this.breaker) return failure("agent_not_found", `no agent named ${incoming.message.to}`);
    // The agent's timeout_ms bounds every call; a caller may only ask for less.
    const ownDeadline = Date.now() + entry.limits.timeout_ms;
    const call = { ...incoming, deadline: incoming.deadline ? Math.min(incoming.deadline, ownDeadline) : ownDeadline };
    const breaker = this.breaker;
    const ports: ContextPorts = { callAgent: (to, outgoing) => this.callOut(to, outgoing) };
    return runPipeline(call, {
      entry,
      breaker,
      pool: this.pool,
      now: Date.now,
      handshakeAccepted: () => false,
      forward: (next, forwarded) => agentStub(this.env, next).invoke(forwarded),
      execute: (c, signal) =>
        executeCall(entry, c, signal, {
          definition: codeAgents.get(entry.name),
          context: () => createContext({ self: entry.name, message: c.message, call: c, signal, env: this.env as unknown as Record<string, unknown>, ports }),
          dev: this.env.SWITCHBOARD_DEV === "1",
          signingSecret: this.env.SWITCHBOARD_SIGNING_SECRET,
        }),
      breakerChanged: () => this.saveBreaker(),
      record: (outcome) => this.record("in", outcome),
    });
  }

  /** An outgoing call from this agent's handler, logged here as outbound. */
  private async callOut(to: string, call: Call): Promise<InvokeResult> {
    const start = Date.now();
    const result = await agentStub(this.env, to).invoke(call);
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
    return { entry, status: { breaker: this.breaker.snapshot().state, in_flight: this.pool.inFlight } };
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry. */
  configure(name: string, config: AgentConfig): AgentEntry {
    this.ctx.storage.kv.put(CONFIG_KEY, config);
    this.name = null;
    const entry = this.load(name) as AgentEntry;
    this.breaker?.configure(entry.breaker);
    return entry;
  }

  /** Removes the configuration; true when there was one. */
  unconfigure(name: string): boolean {
    const existed = this.ctx.storage.kv.delete(CONFIG_KEY);
    if (!codeAgents.has(name)) this.ctx.storage.kv.delete(BREAKER_KEY);
    this.name = null;
    this.entry = null;
    return existed;
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
}

/**
 * AgentDO: one Durable Object per agent name. A thin shell: it loads the agent's state from its
 * SQLite storage, hands each call to lib/ (the pipeline), persists what changed, and schedules
 * alarms. It holds the registry entry, breaker state, message log, and concurrency slots.
 */
import { DurableObject } from "cloudflare:workers";
import { codeAgents } from "../functions/agents";
import { agentStub } from "../functions/stubs";
import type { Call } from "../lib/agents/call";
import { type ContextPorts, createContext } from "../lib/agents/context";
import { codeEntry } from "../lib/agents/define-agent";
import { executeCall } from "../lib/agents/execute";
import { type InvokeResult, type Outcome, runPipeline } from "../lib/agents/pipeline";
import { failure } from "../lib/message/errors";
import { MessageLog, preview } from "../lib/observability/message-log";
import { traceIdOf } from "../lib/observability/trace";
import { type AgentConfig, type AgentEntry, completeEntry } from "../lib/registry/entry";
import { type BreakerSnapshot, type BreakerState, CircuitBreaker } from "../lib/resilience/circuit-breaker";
import { type Deadline, DeadlineTable } from "../lib/resilience/deadline-table";
import { Pool } from "../lib/resilience/pool";
import { acceptWebhook, type WebhookInput, type WebhookResult } from "../lib/protocols/inbound-webhook";
import { keepStoredSecrets, outboundSecret, redactSecrets } from "../lib/security/agent-secrets";
import { ReplayGuard } from "../lib/security/replay-guard";

const CONFIG_KEY = "config";
const BREAKER_KEY = "breaker";

export interface AgentDescription {
  entry: AgentEntry;
  status: { breaker: BreakerSnapshot["state"]; in_flight: number };
}

export class AgentDO extends DurableObject<Env> {
  private readonly log: MessageLog;
  private readonly deadlines: DeadlineTable;
  private readonly replays: ReplayGuard;
  private name: string | null = null;
  private entry: AgentEntry | null = null;
  private breaker: CircuitBreaker | null = null;
  private breakerSaved = "";
  private readonly pool = new Pool(10);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new MessageLog(ctx.storage.sql);
    this.deadlines = new DeadlineTable(ctx.storage.sql, ctx.storage);
    this.replays = new ReplayGuard(ctx.storage.sql);
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
          signingSecret: outboundSecret(entry, this.env.SWITCHBOARD_SIGNING_SECRET),
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
    this.log.append({
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
    });
  }

  describe(name: string): AgentDescription | null {
    const entry = this.load(name);
    if (!entry || !this.breaker) return null;
    return { entry: redactSecrets(entry), status: { breaker: this.breaker.snapshot().state, in_flight: this.pool.inFlight } };
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(name: string, config: AgentConfig): AgentEntry {
    this.ctx.storage.kv.put(CONFIG_KEY, keepStoredSecrets(config, this.ctx.storage.kv.get<AgentConfig>(CONFIG_KEY)));
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
      // TODO(issue 4): enqueue through the async delivery path once it lands; until then the
      // webhook is handled inline and answered after the handler ran.
      deliver: async (call) => {
        const result = await this.invoke(call);
        return result.ok ? { ok: true, request_id: call.message.id } : result;
      },
    });
  }

  messageLog(limit: number, before?: number) {
    return this.log.recent(limit, before);
  }
}

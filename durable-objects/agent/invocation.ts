/**
 * Synchronous calls: an incoming call runs through the pipeline (lib/agents/pipeline.ts) against
 * this object's breaker, pool and peers, and executes by agent kind; an outgoing call from the
 * agent's handler goes to the target's own object and is logged here as outbound. Every incoming
 * call is registered while it runs, so `cancel` can abort it; its outgoing calls carry its signal,
 * so the cancel goes on to them.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { Call } from "../../lib/message/call";
import type { CodeAgents } from "../../lib/agents/define-agent";
import { RunningCalls } from "../../lib/agents/running-calls";
import { executeCall } from "../../lib/agents/execute";
import type { InvokeResult } from "../../lib/message/call";
import { runPipeline } from "../../lib/agents/pipeline";
import { failure } from "../../lib/message/errors";
import type { PeerStore } from "../../lib/protocols/handshake";
import type { AgentEntry } from "../../lib/registry/entry";
import type { Pool } from "../../lib/resilience/pool";
import { outboundSecret } from "../../lib/security/agent-secrets";
import type { Batching } from "./batching";
import { callContext, type Outbound } from "./handler-context";
import type { Observability } from "./observability";
import type { ShardedBreaker } from "./sharding";

export interface InvocationDeps {
  env: Env;
  codeAgents: CodeAgents;
  pool: Pool;
  peers: PeerStore;
  breakers: ShardedBreaker;
  batching: Batching;
  observability: Observability;
  outbound: Outbound;
}

export class Invocation {
  private readonly running = new RunningCalls();

  constructor(private readonly deps: InvocationDeps) {}

  /** Runs `incoming` for `entry` (null: no such agent) and answers with the reply or a failure. */
  async invoke(entry: AgentEntry | null, incoming: Call): Promise<InvokeResult> {
    const breaker = this.deps.breakers.active;
    if (!entry || !breaker) return failure("agent_not_found", `no agent named ${incoming.message.to}`);
    const running = this.running.begin(incoming.message.id);
    try {
      const result = await this.run(entry, breaker, incoming, running.signal);
      return entry.shards > 1 ? { ...result, shards: entry.shards } : result;
    } finally {
      running.end();
    }
  }

  /** Cancels the call running here under `messageId`; true when one was (lib/agents/running-calls.ts). */
  cancel(messageId: string, detail: string): boolean {
    return this.running.cancel(messageId, detail);
  }

  private run(entry: AgentEntry, breaker: NonNullable<ShardedBreaker["active"]>, incoming: Call, signal: AbortSignal): Promise<InvokeResult> {
    const { env, breakers, observability } = this.deps;
    return runPipeline(incoming, {
      entry,
      breaker,
      pool: this.deps.pool,
      now: Date.now,
      signal,
      handshakeAccepted: (from) => this.deps.peers.accepted(from),
      forward: (next, forwarded, forwardSignal) => agentRef(env, next).invoke(forwarded, forwardSignal ? { signal: forwardSignal } : {}),
      execute: (c, signal) =>
        executeCall(entry, c, signal, {
          definition: this.deps.codeAgents.get(entry.name),
          context: () => callContext(env, entry, c, signal, this.deps.outbound),
          dev: env.SWITCHBOARD_DEV === "1",
          signingSecret: outboundSecret(entry, env.SWITCHBOARD_SIGNING_SECRET),
          batch: (b, batchSignal) => this.deps.batching.submit(entry, b, batchSignal),
        }),
      breakerChanged: () => breakers.save(),
      record: (outcome) => observability.record("in", outcome),
      dropped: (call, detail) => observability.dropped(call, detail),
    });
  }

  /** An outgoing call from this agent's handler, logged here as outbound; `signal` (the handler's) cancels it. */
  async callOut(to: string, call: Call, signal?: AbortSignal): Promise<InvokeResult> {
    const start = Date.now();
    const result = await agentRef(this.deps.env, to).invoke(call, signal ? { signal } : {});
    this.deps.observability.record("out", {
      call,
      outcome: result.ok ? "ok" : result.code,
      duration_ms: Date.now() - start,
      ...(result.ok ? {} : { detail: result.detail }),
    });
    return result;
  }
}

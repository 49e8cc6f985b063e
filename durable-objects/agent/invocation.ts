/**
 * Synchronous calls: an incoming call runs through the pipeline (lib/agents/pipeline.ts) against
 * this object's breaker, pool and peers, and executes by agent kind; an outgoing call from the
 * agent's handler goes to the target's own object and is logged here as outbound.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { Call } from "../../lib/message/call";
import type { CodeAgents } from "../../lib/agents/define-agent";
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
  constructor(private readonly deps: InvocationDeps) {}

  /** Runs `incoming` for `entry` (null: no such agent) and answers with the reply or a failure. */
  async invoke(entry: AgentEntry | null, incoming: Call): Promise<InvokeResult> {
    const { env, breakers, observability } = this.deps;
    const breaker = breakers.active;
    if (!entry || !breaker) return failure("agent_not_found", `no agent named ${incoming.message.to}`);
    const result = await runPipeline(incoming, {
      entry,
      breaker,
      pool: this.deps.pool,
      now: Date.now,
      handshakeAccepted: (from) => this.deps.peers.accepted(from),
      forward: (next, forwarded) => agentRef(env, next).invoke(forwarded),
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
    });
    return entry.shards > 1 ? { ...result, shards: entry.shards } : result;
  }

  /** An outgoing call from this agent's handler, logged here as outbound. */
  async callOut(to: string, call: Call): Promise<InvokeResult> {
    const start = Date.now();
    const result = await agentRef(this.deps.env, to).invoke(call);
    this.deps.observability.record("out", {
      call,
      outcome: result.ok ? "ok" : result.code,
      duration_ms: Date.now() - start,
      ...(result.ok ? {} : { detail: result.detail }),
    });
    return result;
  }
}

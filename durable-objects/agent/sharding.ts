/**
 * The agent's circuit breaker in this object, for plain and sharded agents alike. The home object
 * (shard 0) holds the real breaker, saves it, and pushes every transition to the other shards; each
 * other shard keeps a replica (lib/resilience/breaker-replica.ts) and asks home only on the rare
 * paths. Saved under the storage keys `breaker` (home state) and `breaker_view` (a shard's replica).
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { AgentEntry, BreakerConfig } from "../../lib/registry/entry";
import { type BreakerEvent, type Breaker, BreakerReplica, type ReplicaView } from "../../lib/resilience/breaker-replica";
import { type Admission, type BreakerSnapshot, type BreakerState, CircuitBreaker } from "../../lib/resilience/circuit-breaker";

const BREAKER_KEY = "breaker";
const REPLICA_KEY = "breaker_view";

export interface ShardingDeps {
  kv: SyncKvStorage;
  env: Env;
  waitUntil(promise: Promise<unknown>): void;
  /** The home breaker's saved state changed (its metrics are pushed again). */
  changed(): void;
}

export class ShardedBreaker {
  /** The agent's breaker: authoritative in the home object (shard 0). */
  private breaker: CircuitBreaker | null = null;
  /** In shards 1…N−1 of a sharded agent: a replica of the home object's breaker. */
  private replica: BreakerReplica | null = null;
  /** The home breaker's revision when it was last saved, and its state and opening then (null: nothing saved yet). */
  private savedRevision = 0;
  private savedPhase: Pick<BreakerState, "state" | "opened_at"> | null = null;
  private name: string | null = null;
  private entry: AgentEntry | null = null;

  constructor(private readonly deps: ShardingDeps) {}

  /** Restores the breaker of agent `name` from storage; in shards other than 0, also its replica. */
  load(name: string, entry: AgentEntry, shard: number): void {
    const { kv } = this.deps;
    this.name = name;
    this.entry = entry;
    const state = kv.get<BreakerState>(BREAKER_KEY);
    this.breaker = new CircuitBreaker(entry.breaker, state);
    this.savedRevision = this.breaker.revision;
    this.savedPhase = state ? { state: state.state, opened_at: state.opened_at } : null;
    this.replica = shard === 0 ? null : new BreakerReplica(kv.get<ReplicaView>(REPLICA_KEY) ?? this.viewOf(this.breaker), this.homeBreaker(name));
  }

  /** The breaker calls go through: the real one at home, the replica in other shards. */
  get active(): Breaker | null {
    return this.replica ?? this.breaker;
  }

  /** This object's own breaker, for status and metrics. */
  get local(): CircuitBreaker | null {
    return this.breaker;
  }

  /** Persists the home breaker if it changed, and pushes a transition to the other shards. */
  save(): void {
    if (!this.breaker || this.replica) return;
    // Called twice per call; most calls change nothing, which the revision tells without a copy.
    if (this.breaker.revision === this.savedRevision) return;
    const state = this.breaker.toJSON();
    const before = this.savedPhase;
    this.savedRevision = this.breaker.revision;
    this.savedPhase = { state: state.state, opened_at: state.opened_at };
    this.deps.kv.put(BREAKER_KEY, state);
    this.deps.changed();
    // One logical breaker: every transition of the home object's breaker is pushed to the shards.
    const shards = this.entry?.shards ?? 1;
    if (shards > 1 && this.name && (before?.state !== state.state || before?.opened_at !== state.opened_at)) {
      const view = this.viewOf(this.breaker);
      const agent = agentRef(this.deps.env, this.name);
      for (let shard = 1; shard < shards; shard++) this.deps.waitUntil(agent.peer(shard).breakerSync(view));
    }
  }

  /** Home object: may a shard's call probe once recovery has passed? `entry` null: no such agent. */
  admit(entry: AgentEntry | null): Admission {
    if (!entry || !this.breaker) return { ok: false, retryAfterMs: 1000 };
    const admission = this.breaker.admit();
    this.save();
    return admission;
  }

  /** Home object: a shard reports an outcome that counts. */
  report(entry: AgentEntry | null, event: BreakerEvent, probe: boolean): void {
    if (!entry || !this.breaker) return;
    if (event === "success") this.breaker.onSuccess(probe);
    else if (event === "failure") this.breaker.onFailure(probe);
    else this.breaker.onNeutral(probe);
    this.save();
  }

  /** A shard: the home object's breaker changed. */
  sync(entry: AgentEntry | null, view: ReplicaView): void {
    if (!entry || !this.replica) return;
    this.replica.update(view);
    this.deps.kv.put(REPLICA_KEY, view);
  }

  snapshot(entry: AgentEntry | null): BreakerSnapshot | null {
    return entry && this.breaker ? this.breaker.snapshot() : null;
  }

  reset(entry: AgentEntry | null): BreakerSnapshot | null {
    if (!entry || !this.breaker) return null;
    this.breaker.reset();
    this.save();
    return this.breaker.snapshot();
  }

  /** New breaker options from a changed configuration. */
  configure(config: BreakerConfig): void {
    this.breaker?.configure(config);
  }

  /**
   * The agent's configuration was removed: nothing is pushed to shards until it loads again, and
   * with `dropState` the saved state goes too (a code agent keeps its breaker across overrides).
   */
  unload(dropState: boolean): void {
    this.name = null;
    this.entry = null;
    if (dropState) this.deps.kv.delete(BREAKER_KEY);
  }

  private viewOf(breaker: CircuitBreaker): ReplicaView {
    const state = breaker.toJSON();
    return { state: state.state, opened_at: state.opened_at, recovery_timeout_ms: this.entry?.breaker.recovery_timeout_ms ?? 60_000 };
  }

  private homeBreaker(name: string) {
    // A fresh stub per call: stubs are bound to the request that made them.
    const home = () => agentRef(this.deps.env, name).peer(0);
    return {
      admit: () => home().breakerAdmit(),
      report: (event: BreakerEvent, probe: boolean) => this.deps.waitUntil(home().breakerReport(event, probe)),
    };
  }
}

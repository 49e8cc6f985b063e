/**
 * Which agent this object serves, and its entry: the code definition merged with stored overrides,
 * or the stored configuration alone. The agent is the name the object's id was made from
 * (`ctx.id.name`, `name#k` for shard k); it is also kept under the key `name` for runtimes that do
 * not hand the name to the object. Loading restores the agent's breaker and sizes the concurrency
 * pool to this shard's share. The configuration is stored under the key `config`.
 */
import type { CodeAgents } from "../../lib/agents/define-agent";
import { codeEntry } from "../../lib/agents/define-agent";
import { type AgentEntry, completeEntry, type StoredConfig } from "../../lib/registry/entry";
import { parseObjectName, type ShardAddress, shardCap } from "../../lib/registry/shards";
import type { Pool } from "../../lib/resilience/pool";
import { keepStoredSecrets, redactSecrets } from "../../lib/security/agent-secrets";
import type { ShardedBreaker } from "./sharding";

const CONFIG_KEY = "config";
const NAME_KEY = "name";

export class Registration {
  /** The agent and shard this object serves. */
  readonly address: ShardAddress;
  private entry: AgentEntry | null = null;
  private loaded = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly codeAgents: CodeAgents,
    private readonly breakers: ShardedBreaker,
    private readonly pool: Pool,
  ) {
    const { kv } = ctx.storage;
    const stored = kv.get<string>(NAME_KEY);
    const objectName = ctx.id.name ?? stored;
    if (!objectName) throw new Error("an agent object must be reached by name (idFromName)");
    if (stored !== objectName) kv.put(NAME_KEY, objectName);
    this.address = parseObjectName(objectName);
  }

  /** The agent's name. */
  get agent(): string {
    return this.address.agent;
  }

  /** The entry: code definition merged with overrides, or the configured entry; null when there is no such agent. */
  load(): AgentEntry | null {
    if (this.loaded) return this.entry;
    const name = this.agent;
    const config = this.ctx.storage.kv.get<StoredConfig>(CONFIG_KEY);
    const definition = this.codeAgents.get(name);
    this.entry = definition
      ? config
        ? completeEntry(name, config, codeEntry(definition))
        : codeEntry(definition)
      : config
        ? completeEntry(name, config)
        : null;
    this.loaded = true;
    if (this.entry) {
      this.breakers.load(name, this.entry, this.address.shard);
      this.pool.resize(shardCap(this.entry.limits.max_concurrency, this.entry.shards));
    }
    return this.entry;
  }

  /** The entry for a call addressed to `to`. A call for another agent reached the wrong object: never serve it. */
  loadFor(to: string): AgentEntry | null {
    if (to !== this.agent) throw new Error(`the object of "${this.agent}" was asked to act as "${to}"`);
    return this.load();
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(config: StoredConfig): AgentEntry {
    const { kv } = this.ctx.storage;
    kv.put(CONFIG_KEY, keepStoredSecrets({ ...config, updated_at: new Date().toISOString() }, kv.get<StoredConfig>(CONFIG_KEY)));
    this.loaded = false;
    const entry = this.load() as AgentEntry;
    this.breakers.configure(entry.breaker);
    return redactSecrets(entry);
  }

  /** Removes the configuration; true when there was one. A code agent keeps its breaker state. */
  unconfigure(): boolean {
    const existed = this.ctx.storage.kv.delete(CONFIG_KEY);
    this.breakers.unload(!this.codeAgents.has(this.agent));
    this.loaded = false;
    this.entry = null;
    return existed;
  }
}

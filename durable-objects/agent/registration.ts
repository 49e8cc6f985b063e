/**
 * Which agent this object serves, and its entry: the code definition merged with stored overrides,
 * or the stored configuration alone. Loading also restores the agent's breaker and sizes the
 * concurrency pool to this shard's share. Stored under the keys `name` and `config`.
 */
import { codeAgents } from "../../functions/agents";
import { codeEntry } from "../../lib/agents/define-agent";
import { type AgentEntry, completeEntry, type StoredConfig } from "../../lib/registry/entry";
import { parseObjectName, shardCap } from "../../lib/registry/shards";
import type { Pool } from "../../lib/resilience/pool";
import { keepStoredSecrets, redactSecrets } from "../../lib/security/agent-secrets";
import type { ShardedBreaker } from "./sharding";

const CONFIG_KEY = "config";
const NAME_KEY = "name";

export class Registration {
  private loadedName: string | null = null;
  private entry: AgentEntry | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly breakers: ShardedBreaker,
    private readonly pool: Pool,
  ) {}

  /** The agent this object last loaded, or null before the first load (or after a configuration change). */
  get name(): string | null {
    return this.loadedName;
  }

  /** Loads the entry for `name`: code definition merged with overrides, or the configured entry. */
  load(name: string): AgentEntry | null {
    if (this.loadedName === name && this.entry) return this.entry;
    const { kv } = this.ctx.storage;
    const stored = kv.get<string>(NAME_KEY);
    const objectName = this.ctx.id.name ?? stored ?? name;
    const address = parseObjectName(objectName);
    // One object per agent (or shard): a call for another agent reached the wrong object. Never serve it.
    if (address.agent !== name) throw new Error(`AgentDO "${objectName}" was asked to act as "${name}"`);
    this.loadedName = name;
    if (stored !== objectName) kv.put(NAME_KEY, objectName);
    const config = kv.get<StoredConfig>(CONFIG_KEY);
    const definition = codeAgents.get(name);
    this.entry = definition
      ? config
        ? completeEntry(name, config, codeEntry(definition))
        : codeEntry(definition)
      : config
        ? completeEntry(name, config)
        : null;
    if (this.entry) {
      this.breakers.load(name, this.entry, address.shard);
      this.pool.resize(shardCap(this.entry.limits.max_concurrency, this.entry.shards));
    }
    return this.entry;
  }

  /** Stores a configuration (full config, or overrides for a code agent) and returns the entry, secrets redacted. */
  configure(name: string, config: StoredConfig): AgentEntry {
    const { kv } = this.ctx.storage;
    kv.put(CONFIG_KEY, keepStoredSecrets(config, kv.get<StoredConfig>(CONFIG_KEY)));
    this.loadedName = null;
    const entry = this.load(name) as AgentEntry;
    this.breakers.configure(entry.breaker);
    return redactSecrets(entry);
  }

  /** Removes the configuration; true when there was one. A code agent keeps its breaker state. */
  unconfigure(name: string): boolean {
    const existed = this.ctx.storage.kv.delete(CONFIG_KEY);
    this.breakers.unload(!codeAgents.has(name));
    this.loadedName = null;
    this.entry = null;
    return existed;
  }
}

/**
 * DirectoryDO: the index behind `GET /agents`. Written on PUT/DELETE, read on list; never on the
 * invoke path, which goes straight to the target agent's own Durable Object.
 */
import { DurableObject } from "cloudflare:workers";
import type { AgentEntry } from "../lib/registry/entry";
import type { DirectoryApi } from "../lib/registry/directory";

export class DirectoryDO extends DurableObject<Env> implements DirectoryApi {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, entry TEXT NOT NULL, updated_at TEXT NOT NULL)");
  }

  upsert(entry: AgentEntry): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO agents (name, entry, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET entry = excluded.entry, updated_at = excluded.updated_at",
      entry.name,
      JSON.stringify(entry),
      new Date().toISOString(),
    );
  }

  remove(name: string): void {
    this.ctx.storage.sql.exec("DELETE FROM agents WHERE name = ?", name);
  }

  has(name: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM agents WHERE name = ?", name).toArray().length > 0;
  }

  list(): AgentEntry[] {
    return this.ctx.storage.sql
      .exec<{ entry: string }>("SELECT entry FROM agents ORDER BY name")
      .toArray()
      .map((row) => JSON.parse(row.entry) as AgentEntry);
  }
}

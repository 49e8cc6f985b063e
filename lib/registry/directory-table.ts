/**
 * One directory shard's SQLite: the entries of the agents whose names hash to it, in name order,
 * with an index per filter `GET /agents` offers (kind; capability through a side table; a name
 * prefix is a range of the primary key), so a page costs `limit` rows read whatever the size.
 *
 * The directory used to be one object, `directory`, with an `agents` table; it is now shard 0.
 * On its first start it keeps the rows that hash to it and sets the others aside, and each other
 * shard takes its own over once, on its first start, before it answers anything (`handover`).
 */
import type { AgentEntry } from "./entry";
import { keyShard } from "./shards";

export interface DirectoryQuery {
  /** Names strictly after this one. */
  after?: string | undefined;
  limit: number;
  kind?: string | undefined;
  capability?: string | undefined;
  prefix?: string | undefined;
}

/**
 * A listed entry as the shard stores it: its name and its JSON text. A page asks each shard for
 * more rows than the merge keeps, so the text crosses the RPC as one string, and the Worker parses
 * only the rows its merged page lists (lib/registry/directory.ts).
 */
export interface ListedRow {
  name: string;
  json: string;
}

export interface DirectoryPage {
  items: ListedRow[];
  more: boolean;
}

/** Sorts after every character an agent name may hold, so `[prefix, prefix + "{")` is the prefix's range. */
const AFTER_NAME_CHARS = "{";

export class DirectoryTable {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS directory_entries (name TEXT PRIMARY KEY, kind TEXT NOT NULL, entry TEXT NOT NULL, updated_at TEXT NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS directory_kind ON directory_entries(kind, name)");
    sql.exec("CREATE TABLE IF NOT EXISTS directory_capabilities (capability TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (capability, name)) WITHOUT ROWID");
  }

  upsert(entry: AgentEntry, now = new Date().toISOString()): void {
    this.sql.exec(
      "INSERT INTO directory_entries (name, kind, entry, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, entry = excluded.entry, updated_at = excluded.updated_at",
      entry.name,
      entry.kind,
      JSON.stringify(entry),
      now,
    );
    this.sql.exec("DELETE FROM directory_capabilities WHERE name = ?", entry.name);
    for (const capability of new Set(entry.capabilities))
      this.sql.exec("INSERT INTO directory_capabilities (capability, name) VALUES (?, ?)", capability, entry.name);
  }

  remove(name: string): void {
    this.sql.exec("DELETE FROM directory_entries WHERE name = ?", name);
    this.sql.exec("DELETE FROM directory_capabilities WHERE name = ?", name);
  }

  /** The entries of `names` this shard holds. */
  get(names: string[]): AgentEntry[] {
    return names.flatMap((name) =>
      this.sql
        .exec<{ entry: string }>("SELECT entry FROM directory_entries WHERE name = ?", name)
        .toArray()
        .map((row) => JSON.parse(row.entry) as AgentEntry),
    );
  }

  /** Up to `limit` entries after `after` in name order, filtered, as stored, and whether more follow. */
  page(query: DirectoryQuery): DirectoryPage {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    let from = "directory_entries e";
    if (query.capability !== undefined) {
      from = "directory_capabilities c JOIN directory_entries e ON e.name = c.name";
      where.push("c.capability = ?");
      args.push(query.capability);
    }
    if (query.after !== undefined) {
      where.push("e.name > ?");
      args.push(query.after);
    }
    if (query.kind !== undefined) {
      where.push("e.kind = ?");
      args.push(query.kind);
    }
    if (query.prefix) {
      where.push("e.name >= ? AND e.name < ?");
      args.push(query.prefix, query.prefix + AFTER_NAME_CHARS);
    }
    const rows = this.sql
      .exec<{ name: string; json: string }>(
        `SELECT e.name AS name, e.entry AS json FROM ${from} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY e.name LIMIT ?`,
        ...args,
        query.limit + 1,
      )
      .toArray();
    return { items: rows.slice(0, query.limit), more: rows.length > query.limit };
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM directory_entries").one().n);
  }

  /**
   * Shard 0 only: moves the rows of the single-object layout into this layout. Rows that hash to
   * shard 0 stay; the others wait in `directory_handover` for their shard to take them.
   */
  adoptLegacy(shards: number): void {
    const legacy = this.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'agents'").toArray().length > 0;
    if (!legacy) return;
    this.sql.exec("CREATE TABLE IF NOT EXISTS directory_handover (shard INTEGER NOT NULL, name TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (shard, name))");
    for (const row of this.sql.exec<{ name: string; entry: string; updated_at: string }>("SELECT name, entry, updated_at FROM agents").toArray()) {
      const shard = keyShard(row.name, shards);
      if (shard === 0) this.upsert(JSON.parse(row.entry) as AgentEntry, row.updated_at);
      else this.sql.exec("INSERT OR REPLACE INTO directory_handover (shard, name, entry) VALUES (?, ?, ?)", shard, row.name, row.entry);
    }
    this.sql.exec("DROP TABLE agents");
  }

  /** Shard 0: the rows set aside for `shard`. */
  handover(shard: number): AgentEntry[] {
    if (!this.hasHandover()) return [];
    return this.sql
      .exec<{ entry: string }>("SELECT entry FROM directory_handover WHERE shard = ?", shard)
      .toArray()
      .map((row) => JSON.parse(row.entry) as AgentEntry);
  }

  /** Shard 0: `shard` holds its rows now. */
  handedOver(shard: number): void {
    if (this.hasHandover()) this.sql.exec("DELETE FROM directory_handover WHERE shard = ?", shard);
  }

  /** Another shard: takes over rows from shard 0 (again after a crash mid-way: rows it has stay as they are). */
  takeOver(entries: AgentEntry[]): void {
    for (const entry of entries) if (this.get([entry.name]).length === 0) this.upsert(entry);
  }

  private hasHandover(): boolean {
    return this.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'directory_handover'").toArray().length > 0;
  }
}

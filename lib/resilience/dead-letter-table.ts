/**
 * One dead-letter shard's SQLite: every letter with its message, error, attempts and first/last
 * failure, filterable by agent and paginated newest first (ids start with their time). Entries
 * are kept 14 days (docs/api.md promises at least 7). A replay marks an entry `replaying`; it
 * disappears when the replay is delivered and is updated in place (back to `dead`) when the
 * replay fails again.
 *
 * The store used to be one object, `dlq`; it is now shard 0. Its letters of agents that hash to
 * another shard are handed over to that shard once, on the shard's first start (`handover`).
 */
import { keyShard } from "../registry/shards";
import { addMissingColumns } from "../storage/columns";
import type { DeadLetter, ReplayQueue } from "./dead-letter";

export const DLQ_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

export interface DeadLetterEntry {
  id: string;
  agent: string;
  queue: ReplayQueue;
  status: "dead" | "replaying";
  message: unknown;
  body: unknown;
  request: DeadLetter["request"] | null;
  error: { code: string; detail: string };
  attempts: number;
  replays: number;
  first_failed_at: string;
  last_failed_at: string;
}

export class DeadLetterTable {
  constructor(
    private readonly sql: SqlStorage,
    /** The id of a new letter for `agent`: it names the shard that holds it. */
    private readonly newLetterId: (agent: string, now: number) => string,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (id TEXT PRIMARY KEY, agent TEXT NOT NULL, queue TEXT NOT NULL, status TEXT NOT NULL,
      message TEXT, body TEXT NOT NULL, request TEXT, error TEXT NOT NULL, attempts INTEGER NOT NULL, replays INTEGER NOT NULL DEFAULT 0,
      first_failed_at TEXT NOT NULL, last_failed_at TEXT NOT NULL, updated_at INTEGER NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS dead_letters_agent ON dead_letters(agent, id)");
    addMissingColumns(sql, "dead_letters", { request: "TEXT" });
  }

  /**
   * Stores a letter, or updates the entry with its id (`replay_of` or `id`: a replay that failed
   * again, or a store retried after its answer was lost). Returns the entry id.
   */
  put(letter: DeadLetter, now: number): string {
    const existing = letter.replay_of ?? letter.id;
    if (existing && this.get(existing)) {
      this.sql.exec(
        "UPDATE dead_letters SET status = 'dead', error = ?, attempts = ?, last_failed_at = ?, updated_at = ? WHERE id = ?",
        JSON.stringify(letter.error),
        letter.attempts,
        letter.last_failed_at,
        now,
        existing,
      );
      return existing;
    }
    const id = existing ?? this.newLetterId(letter.agent, now);
    this.insert(id, letter, now);
    return id;
  }

  private insert(id: string, letter: DeadLetter, now: number): void {
    this.sql.exec(
      "INSERT INTO dead_letters (id, agent, queue, status, message, body, request, error, attempts, first_failed_at, last_failed_at, updated_at) VALUES (?, ?, ?, 'dead', ?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      letter.agent,
      letter.queue,
      letter.message === undefined ? null : JSON.stringify(letter.message),
      JSON.stringify(letter.body),
      letter.request === undefined ? null : JSON.stringify(letter.request),
      JSON.stringify(letter.error),
      letter.attempts,
      letter.first_failed_at,
      letter.last_failed_at,
      now,
    );
  }

  get(id: string): DeadLetterEntry | null {
    const row = this.sql.exec("SELECT * FROM dead_letters WHERE id = ?", id).toArray()[0];
    return row ? toEntry(row) : null;
  }

  list(options: { agent?: string; limit: number; cursor?: string }): { entries: DeadLetterEntry[]; cursor: string | null } {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (options.agent) {
      where.push("agent = ?");
      args.push(options.agent);
    }
    if (options.cursor) {
      where.push("id < ?");
      args.push(options.cursor);
    }
    const sql = `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    const rows = this.sql.exec(sql, ...args, options.limit + 1).toArray();
    const entries = rows.slice(0, options.limit).map(toEntry);
    return { entries, cursor: rows.length > options.limit ? (entries[entries.length - 1]?.id ?? null) : null };
  }

  /** Marks an entry as being replayed and returns it; null when there is no such entry. */
  startReplay(id: string, now: number): DeadLetterEntry | null {
    const entry = this.get(id);
    if (!entry) return null;
    this.sql.exec("UPDATE dead_letters SET status = 'replaying', replays = replays + 1, updated_at = ? WHERE id = ?", now, id);
    return { ...entry, status: "replaying", replays: entry.replays + 1 };
  }

  /**
   * Marks the oldest `limit` dead (not already replaying) letters of `agent` after the letter
   * `after` (all of them without it) as being replayed and returns them, oldest first, with how
   * many dead letters of the agent come after the last of them.
   */
  startReplays(agent: string, limit: number, now: number, after = ""): { entries: DeadLetterEntry[]; remaining: number } {
    const dead = "FROM dead_letters WHERE agent = ? AND status = 'dead' AND id > ?";
    const rows = this.sql.exec(`SELECT id ${dead} ORDER BY id LIMIT ?`, agent, after, limit).toArray();
    const entries = rows.map((row) => this.startReplay(String(row.id), now) as DeadLetterEntry);
    const last = entries.at(-1)?.id ?? after;
    return { entries, remaining: Number(this.sql.exec(`SELECT COUNT(*) AS n ${dead}`, agent, last).one().n) };
  }

  /** Replays that could not be sent: each entry is dead again, as it was before. */
  abandonReplays(ids: readonly string[], now: number): void {
    for (const id of ids) {
      this.sql.exec("UPDATE dead_letters SET status = 'dead', replays = MAX(replays - 1, 0), updated_at = ? WHERE id = ? AND status = 'replaying'", now, id);
    }
  }

  /** Deletes `agent`'s dead letters (not those being replayed, which settle on their own); how many went, and how many replays are left. */
  purge(agent: string): { deleted: number; replaying: number } {
    const deleted = this.sql.exec("DELETE FROM dead_letters WHERE agent = ? AND status = 'dead'", agent).rowsWritten;
    return { deleted, replaying: this.count(agent) };
  }

  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM dead_letters WHERE id = ?", id).rowsWritten > 0;
  }

  count(agent?: string): number {
    const row = agent
      ? this.sql.exec("SELECT COUNT(*) AS n FROM dead_letters WHERE agent = ?", agent).one()
      : this.sql.exec("SELECT COUNT(*) AS n FROM dead_letters").one();
    return Number(row.n);
  }

  /** Letters by agent, of the agents that hash to `shard` of `shards` (rows still to be handed over are counted where they go). */
  countsByAgent(shard: number, shards: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.sql.exec("SELECT agent, COUNT(*) AS n FROM dead_letters GROUP BY agent")) {
      const agent = String(row.agent);
      if (keyShard(agent, shards) === shard) out[agent] = Number(row.n);
    }
    return out;
  }

  /** Shard 0: the letters it still holds of agents that hash to `shard` (from the single-object layout). */
  handover(shard: number, shards: number): DeadLetterEntry[] {
    const agents = this.misplacedAgents(shard, shards);
    return agents.flatMap((agent) => this.sql.exec("SELECT * FROM dead_letters WHERE agent = ?", agent).toArray().map(toEntry));
  }

  /** Shard 0: `shard` holds those letters now. */
  handedOver(shard: number, shards: number): void {
    for (const agent of this.misplacedAgents(shard, shards)) this.sql.exec("DELETE FROM dead_letters WHERE agent = ?", agent);
  }

  /** Another shard: keeps the letters handed over (again after a crash mid-way: letters it has stay as they are). */
  takeOver(entries: DeadLetterEntry[], now: number): void {
    for (const entry of entries) {
      if (this.get(entry.id)) continue;
      this.insert(entry.id, { ...entry, message: entry.message as DeadLetter["message"], request: entry.request ?? undefined }, now);
      this.sql.exec("UPDATE dead_letters SET status = ?, replays = ? WHERE id = ?", entry.status, entry.replays, entry.id);
    }
  }

  private misplacedAgents(shard: number, shards: number): string[] {
    return this.sql
      .exec<{ agent: string }>("SELECT DISTINCT agent FROM dead_letters")
      .toArray()
      .map((row) => row.agent)
      .filter((agent) => keyShard(agent, shards) === shard);
  }

  prune(now: number): number {
    return this.sql.exec("DELETE FROM dead_letters WHERE updated_at < ?", now - DLQ_RETENTION_MS).rowsWritten;
  }
}

function toEntry(row: Record<string, SqlStorageValue>): DeadLetterEntry {
  const body = JSON.parse(String(row.body));
  return {
    id: String(row.id),
    agent: String(row.agent),
    queue: String(row.queue) as ReplayQueue,
    status: String(row.status) as DeadLetterEntry["status"],
    message: typeof row.message === "string" ? JSON.parse(row.message) : body,
    body,
    request: typeof row.request === "string" ? JSON.parse(row.request) : null,
    error: JSON.parse(String(row.error)),
    attempts: Number(row.attempts),
    replays: Number(row.replays),
    first_failed_at: String(row.first_failed_at),
    last_failed_at: String(row.last_failed_at),
  };
}

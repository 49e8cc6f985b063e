/**
 * A batching agent's buffer, in its Durable Object's SQLite so it survives eviction. Each row is
 * one item: `pending` (waiting for a flush), `inflight` (in a model call) or `done` (its result is
 * kept for `RESULT_TTL_MS`, so a redelivery of the same message gets it without another model call).
 */
import type { Failure } from "../message/errors";
import type { BatchItem } from "./batching";

export type ItemResult = { ok: true; content: unknown; batch: { id: string; size: number; position: number; trigger: string } } | Failure;

export interface StoredItem extends BatchItem {
  agent: string;
  status: "pending" | "inflight" | "done";
  /** Who sent it and the async request it belongs to, for logging results nobody waits for. */
  meta: { from: string | null; request_id: string | null; traceparent: string | null };
  result: ItemResult | null;
}

/** How long a finished item's result is kept for redeliveries. @default 1 hour */
export const RESULT_TTL_MS = 3_600_000;

type Row = Record<string, SqlStorageValue>;

export class BatchBuffer {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS batch_items (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL, agent TEXT NOT NULL, input TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, meta TEXT NOT NULL, result TEXT, done_at INTEGER)`);
    sql.exec("CREATE INDEX IF NOT EXISTS batch_items_status ON batch_items(status, seq)");
  }

  add(item: Pick<StoredItem, "id" | "agent" | "input" | "enqueued_at" | "meta">): void {
    const seq = Number(this.sql.exec("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM batch_items").one().next);
    this.sql.exec(
      "INSERT INTO batch_items (id, seq, agent, input, enqueued_at, attempts, status, meta) VALUES (?, ?, ?, ?, ?, 0, 'pending', ?)",
      item.id,
      seq,
      item.agent,
      JSON.stringify(item.input ?? null),
      item.enqueued_at,
      JSON.stringify(item.meta),
    );
  }

  get(id: string): StoredItem | null {
    const row = this.sql.exec<Row>("SELECT * FROM batch_items WHERE id = ?", id).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Every item held, whatever its state. */
  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM batch_items").one().n);
  }

  pendingCount(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM batch_items WHERE status = 'pending'").one().n);
  }

  /** Enqueue time of the oldest pending item, or null when nothing waits. */
  oldestPending(): number | null {
    const row = this.sql.exec("SELECT MIN(enqueued_at) AS t FROM batch_items WHERE status = 'pending'").one();
    return row.t === null ? null : Number(row.t);
  }

  /** Marks up to `limit` pending items (oldest first, or exactly `ids`) inflight and returns them. */
  take(limit: number, ids?: readonly string[]): StoredItem[] {
    const rows = ids
      ? ids.map((id) => this.sql.exec<Row>("SELECT * FROM batch_items WHERE id = ?", id).toArray()[0]).filter((r): r is Row => r !== undefined)
      : this.sql.exec<Row>("SELECT * FROM batch_items WHERE status = 'pending' ORDER BY seq LIMIT ?", limit).toArray();
    for (const row of rows) this.sql.exec("UPDATE batch_items SET status = 'inflight' WHERE id = ?", row.id);
    return rows.map((row) => ({ ...fromRow(row), status: "inflight" as const }));
  }

  /** Records that the items took part in one more model call. */
  countAttempt(ids: readonly string[]): void {
    for (const id of ids) this.sql.exec("UPDATE batch_items SET attempts = attempts + 1 WHERE id = ?", id);
  }

  complete(id: string, result: ItemResult, now: number): void {
    this.sql.exec("UPDATE batch_items SET status = 'done', result = ?, done_at = ? WHERE id = ?", JSON.stringify(result), now, id);
  }

  /** After eviction nothing is in a model call any more: inflight items wait again. Returns their agents. */
  recoverInflight(): string[] {
    const agents = this.sql.exec<Row>("SELECT DISTINCT agent FROM batch_items WHERE status = 'inflight'").toArray();
    this.sql.exec("UPDATE batch_items SET status = 'pending' WHERE status = 'inflight'");
    return agents.map((r) => String(r.agent));
  }

  prune(now: number, ttlMs = RESULT_TTL_MS): void {
    this.sql.exec("DELETE FROM batch_items WHERE status = 'done' AND done_at < ?", now - ttlMs);
  }
}

function fromRow(row: Row): StoredItem {
  return {
    id: String(row.id),
    agent: String(row.agent),
    input: JSON.parse(String(row.input)),
    enqueued_at: Number(row.enqueued_at),
    attempts: Number(row.attempts),
    status: String(row.status) as StoredItem["status"],
    meta: JSON.parse(String(row.meta)),
    result: row.result === null ? null : (JSON.parse(String(row.result)) as ItemResult),
  };
}

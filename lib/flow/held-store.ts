/**
 * Async requests held back (flow control, or the agent paused): still `pending`, with no queue
 * message, in the order they were held, per key value. Holding costs them no attempt and no retry;
 * they are enqueued again when their key has room (./flow-gate.ts).
 *
 * The number held is counted in memory too (this object is the table's only writer), so an agent
 * that holds nothing — every agent without `flow`, and not paused — asks its table nothing on an
 * async request's way: each message's offer, admit and done used to be three to four lookups.
 */
export interface HeldRow {
  request_id: string;
  flow_key: string;
}

export class HeldStore {
  private held: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS held_requests (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, flow_key TEXT NOT NULL, held_at INTEGER NOT NULL)",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS held_requests_key ON held_requests(flow_key, seq)");
    this.held = Number(sql.exec("SELECT COUNT(*) AS n FROM held_requests").one().n);
  }

  add(requestId: string, key: string, now: number): void {
    this.held += this.sql
      .exec("INSERT INTO held_requests (request_id, flow_key, held_at) VALUES (?, ?, ?) ON CONFLICT(request_id) DO NOTHING RETURNING 1", requestId, key, now)
      .toArray().length;
  }

  /** True when the request was held (and no longer is). */
  remove(requestId: string): boolean {
    if (this.held === 0) return false;
    const removed = this.sql.exec("DELETE FROM held_requests WHERE request_id = ? RETURNING 1", requestId).toArray().length;
    this.held -= removed;
    return removed > 0;
  }

  has(requestId: string): boolean {
    if (this.held === 0) return false;
    return this.sql.exec("SELECT 1 FROM held_requests WHERE request_id = ?", requestId).toArray().length > 0;
  }

  /** Whether a key value has a backlog (newcomers queue behind it). */
  hasKey(key: string): boolean {
    if (this.held === 0) return false;
    return this.sql.exec("SELECT 1 FROM held_requests WHERE flow_key = ? LIMIT 1", key).toArray().length > 0;
  }

  /** The oldest held requests of a key value, at most `limit`. */
  first(key: string, limit: number): HeldRow[] {
    if (this.held === 0) return [];
    return this.sql
      .exec("SELECT request_id, flow_key FROM held_requests WHERE flow_key = ? ORDER BY seq LIMIT ?", key, limit)
      .toArray()
      .map((row) => ({ request_id: String(row.request_id), flow_key: String(row.flow_key) }));
  }

  /** Key values with a backlog, the longest-waiting first. */
  keys(): string[] {
    if (this.held === 0) return [];
    return this.sql
      .exec("SELECT flow_key, MIN(seq) AS first FROM held_requests GROUP BY flow_key ORDER BY first")
      .toArray()
      .map((row) => String(row.flow_key));
  }

  count(): number {
    return this.held;
  }
}

/**
 * Remembers webhook ids that were accepted, in the SQLite of the secret's replay record
 * (durable-objects/webhook-replay-do.ts), so a replayed delivery is refused. Each id carries its own expiry (longer than the window in which
 * its signature stays fresh); expired ids are swept on each insert, so no alarm is needed.
 */
export class ReplayGuard {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS webhook_ids (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS webhook_ids_expiry ON webhook_ids(expires_at)");
  }

  /** Records `id` and returns true, or returns false when it is already remembered. */
  remember(id: string, now: number, ttlMs: number): boolean {
    this.sql.exec("DELETE FROM webhook_ids WHERE expires_at <= ?", now);
    const cursor = this.sql.exec("INSERT INTO webhook_ids (id, expires_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING", id, now + ttlMs);
    return cursor.rowsWritten > 0;
  }

  /** Lets `id` be accepted again, e.g. when delivery failed after it was recorded. */
  forget(id: string): void {
    this.sql.exec("DELETE FROM webhook_ids WHERE id = ?", id);
  }

  size(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM webhook_ids").one().n);
  }
}

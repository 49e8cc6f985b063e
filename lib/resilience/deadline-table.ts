/**
 * One alarm per Durable Object, many deadlines: a table of (kind, key, due_at) rows and an alarm
 * always set to the earliest. Survives eviction because both the rows and the alarm are durable.
 * Kinds are e.g. "request" (a pending reply times out) or "batch" (a batch buffer flushes).
 */
export interface Deadline {
  kind: string;
  key: string;
  due_at: number;
}

export class DeadlineTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS deadlines (kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
  }

  async schedule(kind: string, key: string, dueAt: number): Promise<void> {
    this.sql.exec("INSERT INTO deadlines (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT(kind, key) DO UPDATE SET due_at = excluded.due_at", kind, key, dueAt);
    await this.rearm();
  }

  cancel(kind: string, key: string): void {
    this.sql.exec("DELETE FROM deadlines WHERE kind = ? AND key = ?", kind, key);
  }

  /** Removes and returns every deadline due at `now`, earliest first. */
  takeDue(now: number): Deadline[] {
    const due = this.sql
      .exec<Deadline & Record<string, SqlStorageValue>>("SELECT kind, key, due_at FROM deadlines WHERE due_at <= ? ORDER BY due_at", now)
      .toArray();
    this.sql.exec("DELETE FROM deadlines WHERE due_at <= ?", now);
    return due.map((d) => ({ kind: String(d.kind), key: String(d.key), due_at: Number(d.due_at) }));
  }

  next(): number | null {
    const row = this.sql.exec("SELECT MIN(due_at) AS due FROM deadlines").one();
    return row.due === null ? null : Number(row.due);
  }

  /** Points the object's single alarm at the earliest deadline (or clears it). */
  async rearm(): Promise<void> {
    const next = this.next();
    const current = await this.storage.getAlarm();
    if (next === null) {
      if (current !== null) await this.storage.deleteAlarm();
    } else if (current === null || current !== next) {
      await this.storage.setAlarm(next);
    }
  }
}

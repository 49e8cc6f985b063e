/**
 * One alarm per Durable Object, many deadlines: a table of (kind, key, due_at) rows and an alarm
 * always set to the earliest. Survives eviction because both the rows and the alarm are durable.
 * Kinds are e.g. "request" (a pending reply times out) or "batch" (a batch buffer flushes); the
 * part that schedules a kind registers its handler (`handle`), so a new kind is one file's change.
 */
export interface Deadline {
  kind: string;
  key: string;
  due_at: number;
}

export type DeadlineHandler = (key: string) => void | Promise<void>;

export class DeadlineTable {
  private readonly handlers = new Map<string, DeadlineHandler>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS deadlines (kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
  }

  /** What to do when a deadline of `kind` is due (one handler per kind). */
  handle(kind: string, handler: DeadlineHandler): void {
    if (this.handlers.has(kind)) throw new Error(`deadline kind "${kind}" has two handlers`);
    this.handlers.set(kind, handler);
  }

  /** The alarm: runs every deadline due at `now` by its kind's handler (one failing never stops the rest), then re-arms. */
  async runDue(now: number): Promise<void> {
    for (const deadline of this.takeDue(now)) {
      const handler = this.handlers.get(deadline.kind);
      if (!handler) {
        console.warn(JSON.stringify({ level: "warn", msg: "unknown deadline kind", kind: deadline.kind }));
        continue;
      }
      try {
        await handler(deadline.key);
      } catch (error) {
        console.error(JSON.stringify({ level: "error", msg: "deadline handler failed", kind: deadline.kind, key: deadline.key, error: String(error) }));
      }
    }
    await this.rearm();
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

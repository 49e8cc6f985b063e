/**
 * One alarm per Durable Object, many deadlines: a table of (kind, key, due_at) rows and an alarm
 * always set to the earliest. Survives eviction because both the rows and the alarm are durable.
 * Kinds are e.g. "request" (a pending reply times out) or "batch" (a batch buffer flushes); the
 * part that schedules a kind registers its handler (`handle`), so a new kind is one file's change.
 *
 * A deadline leaves the table only once its handler succeeded; a handler that throws keeps it,
 * due again after a backoff (./retry.ts). The row and the alarm are written in the same
 * synchronous turn, so they commit together, and `start()` re-points an alarm that is missing or
 * late (an object that crashed between the two writes, or lost its alarm otherwise).
 */
import { addMissingColumns } from "../storage/columns";
import { backoffMs } from "./retry";

export interface Deadline {
  kind: string;
  key: string;
  due_at: number;
  /** Failed runs so far. */
  attempts: number;
}

export type DeadlineHandler = (key: string) => void | Promise<void>;

/** Backoff of a failed deadline: 1 s, doubling, at most 5 min. */
export const DEADLINE_RETRY = { retry_delay_ms: 1000, max_retry_delay_ms: 300_000 } as const;

export class DeadlineTable {
  private readonly handlers = new Map<string, DeadlineHandler>();
  /** The alarm as this table last set or read it; undefined until read. */
  private armed: number | null | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS deadlines (kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, key))",
    );
    addMissingColumns(sql, "deadlines", { attempts: "INTEGER NOT NULL DEFAULT 0" });
  }

  /** What to do when a deadline of `kind` is due (one handler per kind). */
  handle(kind: string, handler: DeadlineHandler): void {
    if (this.handlers.has(kind)) throw new Error(`deadline kind "${kind}" has two handlers`);
    this.handlers.set(kind, handler);
  }

  /** On object start: learn the alarm, and point it at the earliest deadline if it is missing or late. */
  async start(): Promise<void> {
    this.armed = await this.storage.getAlarm();
    const next = this.next();
    if (next !== null && (this.armed === null || this.armed > next)) await this.arm(next);
  }

  schedule(kind: string, key: string, dueAt: number): Promise<void> {
    this.sql.exec(
      "INSERT INTO deadlines (kind, key, due_at, attempts) VALUES (?, ?, ?, 0) ON CONFLICT(kind, key) DO UPDATE SET due_at = excluded.due_at, attempts = 0",
      kind,
      key,
      dueAt,
    );
    return this.rearm();
  }

  cancel(kind: string, key: string): void {
    this.sql.exec("DELETE FROM deadlines WHERE kind = ? AND key = ?", kind, key);
  }

  /** When (kind, key) is due, or null when it is not scheduled. */
  dueAt(kind: string, key: string): number | null {
    const row = this.sql.exec("SELECT due_at FROM deadlines WHERE kind = ? AND key = ?", kind, key).toArray()[0];
    return row ? Number(row.due_at) : null;
  }

  /**
   * The alarm fired: runs every deadline due at `now` by its kind's handler, earliest first. Each is
   * removed after its handler succeeds (unless the handler moved it); one that throws stays, due
   * again after its backoff, and never stops the rest.
   */
  async runDue(now: number, random?: () => number): Promise<void> {
    // The alarm that fired is spent (or, run by hand, still set): read it again before re-arming.
    this.armed = undefined;
    const due = this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT kind, key, due_at, attempts FROM deadlines WHERE due_at <= ? ORDER BY due_at", now)
      .toArray()
      .map((d) => ({ kind: String(d.kind), key: String(d.key), due_at: Number(d.due_at), attempts: Number(d.attempts) }));
    for (const { kind, key, due_at, attempts } of due) {
      const handler = this.handlers.get(kind);
      try {
        if (handler) await handler(key);
        else console.warn(JSON.stringify({ level: "warn", msg: "unknown deadline kind", kind }));
        this.sql.exec("DELETE FROM deadlines WHERE kind = ? AND key = ? AND due_at = ?", kind, key, due_at);
      } catch (error) {
        const retryAt = Math.max(now, Date.now()) + backoffMs(attempts + 1, DEADLINE_RETRY, random);
        console.error(
          JSON.stringify({
            level: "error",
            msg: "deadline handler failed; retrying",
            kind,
            key,
            attempts: attempts + 1,
            retry_at: retryAt,
            error: String(error),
          }),
        );
        this.sql.exec("UPDATE deadlines SET due_at = ?, attempts = ? WHERE kind = ? AND key = ? AND due_at = ?", retryAt, attempts + 1, kind, key, due_at);
      }
    }
    await this.rearm();
  }

  next(): number | null {
    const row = this.sql.exec("SELECT MIN(due_at) AS due FROM deadlines").one();
    return row.due === null ? null : Number(row.due);
  }

  /**
   * Points the object's single alarm at the earliest deadline (or clears it). Once the alarm is
   * known, the write is issued before this yields, so it commits with the caller's SQL.
   */
  async rearm(): Promise<void> {
    const next = this.next();
    if (this.armed === undefined) this.armed = await this.storage.getAlarm();
    if (next === null) {
      if (this.armed !== null) {
        this.armed = null;
        await this.storage.deleteAlarm();
      }
    } else if (this.armed !== next) {
      await this.arm(next);
    }
  }

  private arm(at: number): Promise<void> {
    this.armed = at;
    return this.storage.setAlarm(at);
  }
}

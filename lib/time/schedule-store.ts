/**
 * An agent's recurring schedules, one row each in its Durable Object. Small by design (an agent
 * holds at most MAX_SCHEDULES), so listing reads them all.
 */
import type { ScheduleRow } from "./schedule";

type Row = Record<string, SqlStorageValue>;

export class ScheduleStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS schedules (
      id TEXT PRIMARY KEY, spec TEXT NOT NULL, anchor_at INTEGER NOT NULL, message TEXT NOT NULL, sender TEXT,
      catch_up TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0, next_at INTEGER, last_fired_at INTEGER,
      fired INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL)`);
  }

  insert(row: ScheduleRow): void {
    this.sql.exec(
      "INSERT INTO schedules (id, spec, anchor_at, message, sender, catch_up, paused, next_at, last_fired_at, fired, skipped, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      row.id,
      JSON.stringify(row.spec),
      row.anchor_at,
      JSON.stringify(row.message),
      row.sender,
      row.catch_up,
      Number(row.paused),
      row.next_at,
      row.last_fired_at,
      row.fired,
      row.skipped,
      row.last_error ? JSON.stringify(row.last_error) : null,
      row.created_at,
    );
  }

  get(id: string): ScheduleRow | null {
    const row = this.sql.exec("SELECT * FROM schedules WHERE id = ?", id).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Every schedule, oldest first. */
  list(): ScheduleRow[] {
    return this.sql.exec("SELECT * FROM schedules ORDER BY created_at, id").toArray().map(fromRow);
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM schedules").one().n);
  }

  update(id: string, patch: Partial<Pick<ScheduleRow, "paused" | "next_at" | "last_fired_at" | "fired" | "skipped" | "last_error">>): void {
    const sets: string[] = [];
    const values: SqlStorageValue[] = [];
    for (const [key, value] of Object.entries(patch)) {
      sets.push(`${key} = ?`);
      values.push(
        typeof value === "boolean" ? Number(value) : value !== null && typeof value === "object" ? JSON.stringify(value) : (value as SqlStorageValue),
      );
    }
    if (sets.length > 0) this.sql.exec(`UPDATE schedules SET ${sets.join(", ")} WHERE id = ?`, ...values, id);
  }

  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM schedules WHERE id = ?", id).rowsWritten > 0;
  }

  /** Removes every schedule; the ids that were removed. */
  removeAll(): string[] {
    return this.sql
      .exec("DELETE FROM schedules RETURNING id")
      .toArray()
      .map((row) => String(row.id));
  }
}

function fromRow(row: Row): ScheduleRow {
  const num = (v: SqlStorageValue) => (v === null ? null : Number(v));
  return {
    id: String(row.id),
    spec: JSON.parse(String(row.spec)),
    anchor_at: Number(row.anchor_at),
    message: JSON.parse(String(row.message)),
    sender: row.sender === null ? null : String(row.sender),
    catch_up: String(row.catch_up) as ScheduleRow["catch_up"],
    paused: Number(row.paused) === 1,
    next_at: num(row.next_at ?? null),
    last_fired_at: num(row.last_fired_at ?? null),
    fired: Number(row.fired),
    skipped: Number(row.skipped),
    last_error: typeof row.last_error === "string" ? JSON.parse(row.last_error) : null,
    created_at: Number(row.created_at),
  };
}

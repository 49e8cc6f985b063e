/**
 * Debounce (`flow.debounce_ms`): the first message of a key value opens a window of
 * `debounce_ms`; every message of that key value within the window replaces the one before it,
 * and the last one is delivered when the window closes. The window does not move with each
 * message, so a steady stream still gets one delivery per window. One row per key value with an
 * open window, in the agent's Durable Object.
 */
export interface Placement {
  /** When the message is due: the close of its key's window. */
  due_at: number;
  /** The message it replaces (superseded), if the window already had one. */
  supersedes: string | null;
}

export class Debounce {
  private places = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS debounce_windows (flow_key TEXT PRIMARY KEY, request_id TEXT NOT NULL, closes_at INTEGER NOT NULL)");
  }

  /** Places a new message of `key` in its window, opening one when none is open at `now`. */
  place(key: string, requestId: string, windowMs: number, now: number): Placement {
    const open = this.sql.exec("SELECT request_id, closes_at FROM debounce_windows WHERE flow_key = ? AND closes_at > ?", key, now).toArray()[0];
    const dueAt = open ? Number(open.closes_at) : now + windowMs;
    this.sql.exec(
      "INSERT INTO debounce_windows (flow_key, request_id, closes_at) VALUES (?, ?, ?) ON CONFLICT(flow_key) DO UPDATE SET request_id = excluded.request_id, closes_at = excluded.closes_at",
      key,
      requestId,
      dueAt,
    );
    // Closed windows are dropped as new ones open (in steps, to keep this cheap).
    if (++this.places % 100 === 0) this.sql.exec("DELETE FROM debounce_windows WHERE closes_at <= ?", now);
    return { due_at: dueAt, supersedes: open ? String(open.request_id) : null };
  }
}

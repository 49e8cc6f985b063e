/**
 * Each agent's message log, in its Durable Object's SQLite: one row per inbound or outbound
 * message with status and duration, bounded to the newest `LIMITS.logRows` rows. Content is kept
 * only as a short preview; full payloads are never logged.
 */
import { LIMITS } from "../message/limits";
import { redactText } from "../security/redact";

export interface LogRow {
  id: string;
  at: string;
  direction: "in" | "out";
  from: string | null;
  to: string;
  role: string;
  pattern: string;
  outcome: string;
  duration_ms: number | null;
  trace_id: string | null;
  request_id: string | null;
  preview: string | null;
  detail: string | null;
  /** Hops before this agent in the call path (0 for a call from outside); orders a trace. */
  depth?: number | null;
}

export interface LoggedRow extends LogRow {
  seq: number;
}

const PREVIEW_CHARS = 200;

const COLUMNS = `id, at, direction, "from", "to", role, pattern, outcome, duration_ms, trace_id, request_id, preview, detail, depth`;

/**
 * One b-tree write per row: `seq` is the rowid (rows are only pruned from the oldest end, so it
 * keeps growing without AUTOINCREMENT's bookkeeping table), and there is no index on trace_id,
 * because a trace lookup scans at most `LIMITS.logRows` rows, which costs less than maintaining
 * an index on every insert.
 */
const SCHEMA = `CREATE TABLE IF NOT EXISTS message_log (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, at TEXT NOT NULL, direction TEXT NOT NULL,
  "from" TEXT, "to" TEXT NOT NULL, role TEXT NOT NULL, pattern TEXT NOT NULL, outcome TEXT NOT NULL,
  duration_ms REAL, trace_id TEXT, request_id TEXT, preview TEXT, detail TEXT, depth INTEGER)`;

/**
 * Rows per INSERT: 14 bound values each, within the 100 a Durable Object SQL statement binds. One
 * statement per 7 rows rather than per row: each `exec` is a trip into the runtime and, where
 * requests are traced, a span of its own.
 */
const ROWS_PER_INSERT = 7;

/** The INSERT of `n` rows, built once per count. */
const INSERTS = Array.from(
  { length: ROWS_PER_INSERT + 1 },
  (_, n) => `INSERT INTO message_log (${COLUMNS}) VALUES ${Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
);

/**
 * Creates the log table, or brings one of the first layout (AUTOINCREMENT, a trace_id index,
 * maybe no depth column) to the current one, keeping its rows and their seq.
 */
export function migrateMessageLog(sql: SqlStorage): void {
  const existing = sql.exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'message_log'").toArray()[0];
  if (existing && /AUTOINCREMENT/i.test(String(existing.sql))) {
    try {
      sql.exec("ALTER TABLE message_log ADD COLUMN depth INTEGER");
    } catch {
      // Already there.
    }
    sql.exec("ALTER TABLE message_log RENAME TO message_log_v1");
    sql.exec(SCHEMA);
    sql.exec(`INSERT INTO message_log (seq, ${COLUMNS}) SELECT seq, ${COLUMNS} FROM message_log_v1`);
    // Takes its index (message_log_trace) with it.
    sql.exec("DROP TABLE message_log_v1");
  }
  sql.exec(SCHEMA);
}

/**
 * A short preview with anything that looks like a key redacted. Redaction runs on a window well
 * past the cut, so a key that straddles the cut is still caught whole, at a bounded cost.
 */
export function preview(content: unknown): string | null {
  if (content === undefined) return null;
  const raw = typeof content === "string" ? content : (JSON.stringify(content) ?? "");
  const text = redactText(raw.slice(0, PREVIEW_CHARS * 5));
  return text.length > PREVIEW_CHARS || raw.length > PREVIEW_CHARS * 5 ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** How long a row may wait in memory before it is written. @default 100 */
export const LOG_FLUSH_MS = 100;
/** Rows written at once at the latest, whatever the time. */
export const LOG_FLUSH_ROWS = 256;

/**
 * Rows are written behind, not on the reply path: appended to a buffer, then written together
 * within `flushMs` (or as soon as 256 wait). Every write is its own SQLite commit (with an fsync), so
 * a commit per message was the largest storage cost of a call; now concurrent calls share one. Every
 * read flushes first, so a reader always sees every row appended before it. The price: a row
 * appended less than `flushMs` before the object crashes is lost. Messages themselves never are:
 * requests, deliveries and dead letters are stored on their own paths before they are acknowledged.
 */
export class MessageLog {
  private inserts = 0;
  private pending: LogRow[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `alsoWrite` writes whatever else must commit with the rows (the metrics that count them). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly maxRows: number = LIMITS.logRows,
    private readonly flushMs: number = LOG_FLUSH_MS,
    private readonly alsoWrite: () => void = () => {},
  ) {
    migrateMessageLog(sql);
  }

  append(row: LogRow): void {
    this.pending.push(row);
    if (this.pending.length >= LOG_FLUSH_ROWS) this.flush();
    else this.flushSoon();
  }

  /** Makes sure a flush is coming within `flushMs`, for what `alsoWrite` holds without a row (a message sampled out). */
  flushSoon(): void {
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Rows appended and not yet written. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Writes every buffered row, oldest first, in one commit. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.pending;
    this.pending = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) this.write(rows.slice(i, i + ROWS_PER_INSERT));
    this.alsoWrite();
  }

  private write(rows: LogRow[]): void {
    const values: SqlStorageValue[] = [];
    for (const row of rows) {
      values.push(
        row.id,
        row.at,
        row.direction,
        row.from,
        row.to,
        row.role,
        row.pattern,
        row.outcome,
        row.duration_ms,
        row.trace_id,
        row.request_id,
        row.preview,
        redactText(row.detail),
        row.depth ?? null,
      );
    }
    this.sql.exec(INSERTS[rows.length] as string, ...values);
    // Prune in steps rather than on every insert: one DELETE per 50 rows keeps the hot path cheap.
    const before = this.inserts;
    this.inserts += rows.length;
    if (Math.floor(this.inserts / 50) > Math.floor(before / 50)) this.prune();
  }

  prune(): void {
    this.flush();
    this.sql.exec("DELETE FROM message_log WHERE seq <= (SELECT MAX(seq) FROM message_log) - ?", this.maxRows);
  }

  /** Newest first. */
  recent(limit: number, before?: number): LoggedRow[] {
    this.flush();
    const rows = before
      ? this.sql.exec("SELECT * FROM message_log WHERE seq < ? ORDER BY seq DESC LIMIT ?", before, limit)
      : this.sql.exec("SELECT * FROM message_log ORDER BY seq DESC LIMIT ?", limit);
    return rows.toArray() as unknown as LoggedRow[];
  }

  byTrace(traceId: string): LoggedRow[] {
    this.flush();
    return this.sql.exec("SELECT * FROM message_log WHERE trace_id = ? ORDER BY seq", traceId).toArray() as unknown as LoggedRow[];
  }

  /** Durations (ms) of the newest `limit` inbound messages, for latency percentiles. */
  recentDurations(limit: number): number[] {
    this.flush();
    return this.sql
      .exec("SELECT duration_ms FROM message_log WHERE direction = 'in' AND duration_ms IS NOT NULL ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .map((r) => Number(r.duration_ms));
  }

  count(): number {
    this.flush();
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM message_log").one().n);
  }
}

/**
 * Durable request state for async messages, in the target agent's Durable Object: one row per
 * request (`GET /requests/:id`), plus idempotency keys remembered for 24 hours so a retried POST or
 * a redelivered queue message never runs the handler twice.
 *
 * The row is also the outbox of what must leave the object. A pending request carries a lease
 * (`lease_until`): the time by which its queue message should have started an attempt. The agent's
 * alarm enqueues it again once the lease has expired, so a lost queue message, a crash or a
 * restart delays a request but never strands it (deliveries dedupe, so a spare message is
 * harmless). A request that ended failed or dead-lettered carries its dead letter's id and
 * `letter_pending` until the dead-letter store has it, set in the same write as the status, so a
 * letter is never lost between the two.
 *
 * A request whose handler asked for input waits as `input_required`, with the question (the
 * envelope that asked) and the turns answered so far, until it is answered, cancelled or times out.
 * It holds no lease while it waits: nothing is owed to the queue until someone answers.
 */
import type { Envelope } from "../message/envelope";
import { type InputRequest, type InputTurn, inputRequestOf } from "../message/input-required";
import { addMissingColumns } from "../storage/columns";

/** `scheduled`: waiting for its time (durable-objects/agent/delayed-delivery.ts); `superseded`: a later message with its debounce key replaced it. */
export type RequestStatus = "pending" | "scheduled" | "input_required" | "replied" | "failed" | "timed_out" | "dead_lettered" | "cancelled" | "superseded";

/** Statuses a request is still live in: never pruned, may be cancelled. */
export const LIVE_STATUSES: readonly RequestStatus[] = ["pending", "scheduled", "input_required"];

export interface RequestRow {
  request_id: string;
  status: RequestStatus;
  attempts: number;
  /** Attempts made before the latest replay; the retry budget counts from here. */
  budget_from: number;
  message: Envelope;
  reply: Envelope | null;
  error: { code: string; detail: string } | null;
  reply_to: string | null;
  /** The shard of the `reply_to` agent that waits for the reply (0: its home object). */
  reply_shard: number;
  timeout_ms: number | null;
  created_at: number;
  updated_at: number;
  first_failed_at: number | null;
  last_failed_at: number | null;
  /** The dead-letter entry this request is a replay of; a failed replay updates that entry. */
  replay_of: string | null;
  /** The id of this request's dead letter, once it failed for good. */
  letter_id: string | null;
  /** The dead letter is not in the dead-letter store yet. */
  letter_pending: boolean;
  /** Pending: when the request is enqueued again unless an attempt has started (null once finished). */
  lease_until: number | null;
  /** While `input_required`: the envelope that asked (its `metadata.input_required` is the question). */
  question: Envelope | null;
  /** Questions answered so far, oldest first; the handler resumes with them. */
  input: InputTurn[];
}

export interface RequestView {
  request_id: string;
  agent: string;
  status: RequestStatus;
  /** Scheduled requests: when they are due. */
  deliver_at?: string;
  attempts: number;
  created_at: string;
  updated_at: string;
  reply?: Envelope;
  error?: { code: string; detail: string };
  /** While `input_required`: what the agent asks; answer with `POST /requests/:id/input`. */
  input_required?: InputRequest;
  /** The questions answered so far and their answers. */
  input?: InputTurn[];
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Finished requests stay readable at GET /requests/:id this long. @default 7 days */
export const REQUEST_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

type Row = Record<string, SqlStorageValue>;

/**
 * An idempotency key as stored: scoped to the sender, so one caller can never learn another's
 * request through a key, by principal label, so no agent's scope can ever be the admin's.
 */
export function idempotencyScope(from: string | null, key: string): string {
  return `${from === null ? "admin" : `agent:${from}`}:${key}`;
}

export class RequestStore {
  /** Where the retention sweep goes on from (a rowid); 0 from the oldest row. Lost on eviction: the next sweep starts over. */
  private swept = 0;

  /** `stored` is told of every request stored, so retention can be armed (durable-objects/agent/retention.ts). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly stored: () => void = () => {},
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS requests (
      request_id TEXT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, budget_from INTEGER NOT NULL DEFAULT 0,
      message TEXT NOT NULL, reply TEXT, error TEXT, reply_to TEXT, timeout_ms INTEGER,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, first_failed_at INTEGER, last_failed_at INTEGER,
      replay_of TEXT, letter_id TEXT, letter_pending INTEGER NOT NULL DEFAULT 0, lease_until INTEGER, question TEXT, input TEXT)`);
    sql.exec("CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_id TEXT NOT NULL, expires_at INTEGER NOT NULL)");
    // Requests pending from before leases existed get one that is already due.
    if (addMissingColumns(sql, "requests", LATER_COLUMNS).includes("lease_until")) {
      sql.exec("UPDATE requests SET lease_until = 0 WHERE status = 'pending'");
    }
    // Only leased (pending) rows are in it, so finding expired leases never scans a week of requests.
    sql.exec("CREATE INDEX IF NOT EXISTS requests_lease ON requests(lease_until) WHERE lease_until IS NOT NULL");
    // Likewise only waiting rows, so listing them for a person to answer never scans the rest.
    sql.exec("CREATE INDEX IF NOT EXISTS requests_waiting ON requests(created_at) WHERE status = 'input_required'");
    // The retention sweep finds expired keys through it rather than scanning a day of them; only a request with a key pays for it.
    sql.exec("CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency(expires_at)");
  }

  /** The request an idempotency key already maps to, if it has not expired. */
  byIdempotencyKey(key: string, now: number): string | null {
    const row = this.sql.exec("SELECT request_id FROM idempotency WHERE key = ? AND expires_at > ?", key, now).toArray()[0];
    return row ? String(row.request_id) : null;
  }

  /**
   * A new request, `pending` unless it waits for its time (`scheduled`, with no lease); a replay
   * recreating a pruned one passes its attempts and letter. A sync call that already asked (it hit
   * input-required) is stored waiting, with its question and no lease; one that answered with an
   * idempotency key is stored `replied` (its key's answer for a retry).
   */
  create(init: {
    request_id: string;
    message: Envelope;
    reply_to: string | null;
    reply_shard?: number;
    timeout_ms: number | null;
    idempotency_key?: string;
    now: number;
    lease_until: number | null;
    attempts?: number;
    replay_of?: string;
    status?: "pending" | "scheduled";
    question?: Envelope;
    reply?: Envelope;
  }): void {
    const attempts = init.attempts ?? (init.question || init.reply ? 1 : 0);
    const status = init.question ? "input_required" : init.reply ? "replied" : (init.status ?? "pending");
    this.sql.exec(
      "INSERT INTO requests (request_id, status, attempts, budget_from, message, reply, reply_to, reply_shard, timeout_ms, created_at, updated_at, replay_of, lease_until, question) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      init.request_id,
      status,
      attempts,
      attempts,
      JSON.stringify(init.message),
      init.reply ? JSON.stringify(init.reply) : null,
      init.reply_to,
      init.reply_shard ?? 0,
      init.timeout_ms,
      init.now,
      init.now,
      init.replay_of ?? null,
      init.question || init.reply ? null : init.lease_until,
      init.question ? JSON.stringify(init.question) : null,
    );
    if (init.idempotency_key) {
      this.sql.exec(
        "INSERT INTO idempotency (key, request_id, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET request_id = excluded.request_id, expires_at = excluded.expires_at",
        init.idempotency_key,
        init.request_id,
        init.now + IDEMPOTENCY_TTL_MS,
      );
    }
    this.stored();
  }

  remove(requestId: string): void {
    this.sql.exec("DELETE FROM requests WHERE request_id = ?", requestId);
    this.sql.exec("DELETE FROM idempotency WHERE request_id = ?", requestId);
  }

  get(requestId: string): RequestRow | null {
    const row = this.sql.exec("SELECT * FROM requests WHERE request_id = ?", requestId).toArray()[0];
    return row ? fromRow(row) : null;
  }

  /** Only the request's status: what a delivery checks after its attempt, without parsing the row again. */
  statusOf(requestId: string): RequestStatus | null {
    const row = this.sql.exec<{ status: string }>("SELECT status FROM requests WHERE request_id = ?", requestId).toArray()[0];
    return row ? (row.status as RequestStatus) : null;
  }

  update(requestId: string, patch: Partial<Omit<RequestRow, "request_id" | "message" | "created_at">>, now: number): void {
    const sets: string[] = ["updated_at = ?"];
    const values: SqlStorageValue[] = [now];
    for (const [key, value] of Object.entries(patch)) {
      sets.push(`${key} = ?`);
      values.push(
        typeof value === "boolean" ? Number(value) : value !== null && typeof value === "object" ? JSON.stringify(value) : (value as SqlStorageValue),
      );
    }
    this.sql.exec(`UPDATE requests SET ${sets.join(", ")} WHERE request_id = ?`, ...values, requestId);
  }

  /** Requests waiting for input, oldest first (the longest wait is the most urgent); only those `from` sent, when given. */
  waiting(limit: number, from?: string): RequestRow[] {
    const rows =
      from === undefined
        ? this.sql.exec("SELECT * FROM requests WHERE status = 'input_required' ORDER BY created_at LIMIT ?", limit)
        : this.sql.exec(
            "SELECT * FROM requests WHERE status = 'input_required' AND json_extract(message, '$.from') = ? ORDER BY created_at LIMIT ?",
            from,
            limit,
          );
    return rows.toArray().map(fromRow);
  }

  /** Pending requests whose lease expired at `now`: their queue message is overdue. */
  expiredLeases(now: number, limit: number): RequestRow[] {
    return this.sql.exec("SELECT * FROM requests WHERE lease_until <= ? ORDER BY lease_until LIMIT ?", now, limit).toArray().map(fromRow);
  }

  /** The earliest lease of a pending request, or null when none is pending. */
  nextLease(): number | null {
    const row = this.sql.exec("SELECT MIN(lease_until) AS at FROM requests WHERE lease_until IS NOT NULL").one();
    return row.at === null ? null : Number(row.at);
  }

  /**
   * One bounded step of retention, so the tables stay bounded by a day's and a week's traffic:
   * deletes up to `limit` expired idempotency keys, and, of the next `limit` requests from the
   * oldest end (rowids grow with `created_at`), those finished before the retention period (never
   * one still live, nor one whose letter still has to leave). Answers whether more may be due now:
   * a full batch of keys, or a window of requests all older than the period.
   */
  sweep(now: number, limit: number): boolean {
    const keys = this.sql
      .exec("DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE expires_at <= ? LIMIT ?) RETURNING rowid", now, limit)
      .toArray().length;
    const before = now - REQUEST_RETENTION_MS;
    const window = this.sql
      .exec<{ id: number; created_at: number }>("SELECT rowid AS id, created_at FROM requests WHERE rowid > ? ORDER BY rowid LIMIT ?", this.swept, limit)
      .toArray();
    const last = window[window.length - 1];
    if (last) {
      this.sql.exec(
        "DELETE FROM requests WHERE rowid > ? AND rowid <= ? AND status NOT IN ('pending', 'scheduled', 'input_required') AND letter_pending = 0 AND updated_at < ?",
        this.swept,
        last.id,
        before,
      );
    }
    // Past the window only younger requests follow: the next sweep starts from the oldest again.
    const older = last !== undefined && window.length === limit && last.created_at < before;
    this.swept = older ? last.id : 0;
    return older || keys === limit;
  }

  /** The earliest time a row can be due for retention (the oldest request's creation plus the period, the first key's expiry), or null when there is none. */
  retentionDue(): number | null {
    const oldest = this.sql.exec<{ created_at: number }>("SELECT created_at FROM requests ORDER BY rowid LIMIT 1").toArray()[0];
    const key = this.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM idempotency").one().at;
    const dues = [oldest ? oldest.created_at + REQUEST_RETENTION_MS : null, key].filter((at): at is number => at !== null);
    return dues.length ? Math.min(...dues) : null;
  }
}

/** Columns added after the first release, for objects whose table predates them. */
const LATER_COLUMNS = {
  replay_of: "TEXT",
  letter_id: "TEXT",
  letter_pending: "INTEGER NOT NULL DEFAULT 0",
  lease_until: "INTEGER",
  question: "TEXT",
  input: "TEXT",
  reply_shard: "INTEGER NOT NULL DEFAULT 0",
};

function fromRow(row: Row): RequestRow {
  const json = <T>(v: SqlStorageValue): T | null => (typeof v === "string" ? (JSON.parse(v) as T) : null);
  return {
    request_id: String(row.request_id),
    status: String(row.status) as RequestStatus,
    attempts: Number(row.attempts),
    budget_from: Number(row.budget_from),
    message: json<Envelope>(row.message as string) as Envelope,
    reply: json<Envelope>(row.reply ?? null),
    error: json<{ code: string; detail: string }>(row.error ?? null),
    reply_to: row.reply_to === null ? null : String(row.reply_to),
    reply_shard: Number(row.reply_shard ?? 0),
    timeout_ms: row.timeout_ms === null ? null : Number(row.timeout_ms),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    first_failed_at: row.first_failed_at === null ? null : Number(row.first_failed_at),
    last_failed_at: row.last_failed_at === null ? null : Number(row.last_failed_at),
    replay_of: typeof row.replay_of === "string" ? row.replay_of : null,
    letter_id: typeof row.letter_id === "string" ? row.letter_id : null,
    letter_pending: Number(row.letter_pending) === 1,
    lease_until: row.lease_until === null || row.lease_until === undefined ? null : Number(row.lease_until),
    question: json<Envelope>(row.question ?? null),
    input: json<InputTurn[]>(row.input ?? null) ?? [],
  };
}

export function viewOf(agent: string, row: RequestRow): RequestView {
  return {
    request_id: row.request_id,
    agent,
    status: row.status,
    attempts: row.attempts,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    ...(row.reply ? { reply: row.reply } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.status === "input_required" && row.question ? { input_required: inputRequestOf(row.question) ?? { question: String(row.question.content) } } : {}),
    ...(row.input.length ? { input: row.input } : {}),
  };
}

/**
 * The caller's side of request-reply (seed: RequestReplyProtocol.pending_requests), made durable:
 * each pending request is a row with its deadline in the caller's Durable Object, so a reply or a
 * timeout is applied exactly once even if the object was evicted in between. In-memory waiters
 * only wake the handler that is still awaiting; the row is the truth.
 */
import type { Envelope } from "../message/envelope";

export type PendingStatus = "pending" | "replied" | "timed_out";

export interface PendingRow {
  request_id: string;
  to: string;
  status: PendingStatus;
  deadline: number;
  reply: Envelope | null;
}

/** What happened to a reply that arrived. */
export type ReplyDisposition = "applied" | "late" | "duplicate" | "unknown";

export class PendingReplies {
  private readonly waiters = new Map<string, (reply: Envelope | null) => void>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS pending_replies (request_id TEXT PRIMARY KEY, "to" TEXT NOT NULL, status TEXT NOT NULL,
      deadline INTEGER NOT NULL, reply TEXT, created_at INTEGER NOT NULL)`);
  }

  add(requestId: string, to: string, deadline: number, now: number): void {
    // Settled rows only matter for recognising late or duplicate replies; a week is plenty.
    this.sql.exec("DELETE FROM pending_replies WHERE status != 'pending' AND created_at < ?", now - 7 * 24 * 60 * 60 * 1000);
    this.sql.exec(`INSERT INTO pending_replies (request_id, "to", status, deadline, created_at) VALUES (?, ?, 'pending', ?, ?)`, requestId, to, deadline, now);
  }

  get(requestId: string): PendingRow | null {
    const r = this.sql.exec("SELECT * FROM pending_replies WHERE request_id = ?", requestId).toArray()[0];
    if (!r) return null;
    return {
      request_id: String(r.request_id),
      to: String(r.to),
      status: r.status as PendingStatus,
      deadline: Number(r.deadline),
      reply: typeof r.reply === "string" ? (JSON.parse(r.reply) as Envelope) : null,
    };
  }

  /** Resolves with the reply, or null on timeout (whichever the row records first). */
  wait(requestId: string): Promise<Envelope | null> {
    const row = this.get(requestId);
    if (row && row.status !== "pending") return Promise.resolve(row.reply);
    return new Promise((resolve) => this.waiters.set(requestId, resolve));
  }

  applyReply(reply: Envelope): ReplyDisposition {
    const requestId = String(reply.metadata.in_reply_to ?? "");
    const row = this.get(requestId);
    if (!row) return "unknown";
    if (row.status === "timed_out") return "late";
    if (row.status === "replied") return "duplicate";
    this.sql.exec("UPDATE pending_replies SET status = 'replied', reply = ? WHERE request_id = ?", JSON.stringify(reply), requestId);
    this.wake(requestId, reply);
    return "applied";
  }

  /** Marks the request timed out if it is still pending; true when it was. */
  expire(requestId: string): boolean {
    const row = this.get(requestId);
    if (row?.status !== "pending") return false;
    this.sql.exec("UPDATE pending_replies SET status = 'timed_out' WHERE request_id = ?", requestId);
    this.wake(requestId, null);
    return true;
  }

  private wake(requestId: string, reply: Envelope | null): void {
    const waiter = this.waiters.get(requestId);
    this.waiters.delete(requestId);
    waiter?.(reply);
  }
}

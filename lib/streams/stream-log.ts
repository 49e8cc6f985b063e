/**
 * The streams one Durable Object keeps, in its SQLite: every event of each stream, in order,
 * bounded (`STREAM_LIMITS`), kept `retentionMs` after the stream ended; and the readers attached to
 * each stream still running. A reconnect with `Last-Event-ID` gets exactly the stored events after
 * that id and then the live tail, read and attached in one synchronous turn, so nothing falls
 * between the two.
 *
 * A `delta` or `step` reaches the live readers as it is appended, while its write commits, not
 * after a `storage.sync()`: a wait per token was most of what a streamed token cost in the object.
 * What keeps a resume from skipping an event is the ids: a stream records ids it may use ahead of
 * them (`ID_BLOCK` at a time, in `streams.next_seq`), and no event is handed out past what is
 * recorded durably — the first block is written with the stream's row, a further block is waited
 * for. An object that restarts therefore goes on after every id any reader saw, and its `error`
 * (or the next attempt's events) can never hide behind an id a client already has. What such a
 * restart can lose is a delta of the attempt that died with it, which ends with that error. The
 * terminal `reply` or `error` is still sent only once it is durable: no client sees an ending a
 * replay would not give again.
 *
 * A new streaming invoke's stream (`open(…, fresh)`) is written a turn later, not in the turn that
 * answers the call: any write in that turn would hold the answer — the reader its caller relays,
 * and the handler's first fetch (the model call) — at the output gate until it commits, which under
 * `wrangler dev` was most of what a stream's first token cost over a plain call. Its events wait for
 * that commit instead (`durable`): no reader sees an event of a stream whose row and first block of
 * ids are not durable, so an object that goes away before it commits leaves no stream anyone saw.
 */
import { formatSse, isTerminal, type StoredEvent, type StreamEvent } from "./stream-event";

export interface StreamLimits {
  maxEvents: number;
  maxBytes: number;
  retentionMs: number;
}

export const STREAM_LIMITS: StreamLimits = {
  /** Events kept per stream (the terminal event always is). @default 10000 */
  maxEvents: 10_000,
  /** Bytes of event data kept per stream. @default 1048576 (1 MiB) */
  maxBytes: 1024 * 1024,
  /** How long a stream stays readable after it ended. @default 900000 (15 min) */
  retentionMs: 15 * 60_000,
};

/** `invoke`: a streaming call, owned by its caller's connection; `request`: an async request's, which outlives any connection. */
export type StreamKind = "invoke" | "request";

export interface StreamInfo {
  id: string;
  kind: StreamKind;
  /** The caller that started it (an agent name), or null for admin. */
  owner: string | null;
  message_id: string;
  state: "open" | "ended";
  /** Readers attached now (0 for a stream this object is not running). */
  readers: number;
}

export interface StreamLogHooks {
  /** Waits until every write so far is durable (`ctx.storage.sync`). */
  sync(): Promise<void>;
  /** A running stream's reader count changed (a reader attached or went away). */
  readersChanged?(id: string, readers: number): void;
  /** A stream ended: its events expire at `expiresAt`. */
  ended?(id: string, expiresAt: number): void;
}

interface Reader {
  cursor: number;
  controller: ReadableStreamDefaultController<Uint8Array>;
}

/** A stream this object is running: its counters and readers live in memory, its events in SQLite. */
interface Live {
  id: string;
  kind: StreamKind;
  owner: string | null;
  message_id: string;
  nextSeq: number;
  keptEvents: number;
  keptBytes: number;
  /**
   * A new streaming invoke's: its writes are made a turn later (`write`), and until its row is
   * durable no event is handed to a reader (`durable`, set by the first flush).
   */
  behind: boolean;
  durable: boolean;
  /** Its row has been written (not necessarily committed). */
  stored: boolean;
  /** Every event up to this id has been handed to the readers. */
  delivered: number;
  /** Ids up to this one are recorded as used (`streams.next_seq` above it), durably once a reader can see them. */
  reserved: number;
  readers: Map<string, Reader>;
  ended: boolean;
}

type Row = Record<string, SqlStorageValue>;

/** How many ids a stream records ahead of the events that use them (see the file comment). @default 1000 */
export const ID_BLOCK = 1000;

const encoder = new TextEncoder();

export class StreamLog {
  private readonly live = new Map<string, Live>();
  /** Writes of streams kept `behind`, not yet made: made a turn later, or before any read. */
  private pending: Array<{ id: string; query: string; args: SqlStorageValue[] }> = [];
  private writeScheduled = false;
  private queue: Array<{ live: Live; event: StoredEvent }> = [];
  private flushing = false;
  private readerSeq = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly hooks: StreamLogHooks,
    private readonly limits: StreamLimits = STREAM_LIMITS,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS streams (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT, message_id TEXT NOT NULL, state TEXT NOT NULL,
      next_seq INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL, ended_at INTEGER, expires_at INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS stream_events (
      stream_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID`);
  }

  /** A write of stream `id`: made now, or for a stream kept behind, queued for a later turn (or the next read). */
  private write(id: string, query: string, ...args: SqlStorageValue[]): void {
    if (!this.live.get(id)?.behind) {
      this.sql.exec(query, ...args);
      return;
    }
    this.pending.push({ id, query, args });
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setTimeout(() => this.writePending(), 0);
  }

  /** Makes the queued writes now. */
  private writePending(): void {
    this.writeScheduled = false;
    const pending = this.pending;
    this.pending = [];
    for (const { id, query, args } of pending) {
      this.sql.exec(query, ...args);
      const live = this.live.get(id);
      if (live) live.stored = true;
    }
  }

  /**
   * Starts keeping stream `id`, or goes on with it (an async request's stream spans its attempts).
   * `fresh`: a new streaming invoke's, never seen before: its writes are kept behind (file comment).
   */
  open(init: { id: string; kind: StreamKind; owner: string | null; message_id: string }, now = Date.now(), fresh = false): void {
    if (this.live.has(init.id)) return;
    const existing = fresh ? undefined : this.row(init.id);
    if (existing && existing.state === "ended") {
      // A request replayed after it ended: its stream starts over, its ids going on from the last.
      this.sql.exec("DELETE FROM stream_events WHERE stream_id = ?", init.id);
      this.sql.exec("UPDATE streams SET state = 'open', ended_at = NULL, expires_at = NULL WHERE id = ?", init.id);
    }
    const next = existing ? this.nextSeqOf(init.id, Number(existing.next_seq)) : 1;
    // The first block of ids, written before any answer that could attach a reader leaves the object.
    const reserved = next - 1 + ID_BLOCK;
    this.live.set(init.id, {
      ...init,
      nextSeq: next,
      keptEvents: 0,
      keptBytes: 0,
      delivered: next - 1,
      reserved,
      readers: new Map(),
      ended: false,
      behind: fresh,
      durable: !fresh,
      stored: !fresh,
    });
    if (existing) this.sql.exec("UPDATE streams SET next_seq = ? WHERE id = ?", reserved + 1, init.id);
    else
      this.write(
        init.id,
        "INSERT INTO streams (id, kind, owner, message_id, state, next_seq, created_at) VALUES (?, ?, ?, ?, 'open', ?, ?)",
        init.id,
        init.kind,
        init.owner,
        init.message_id,
        reserved + 1,
        now,
      );
  }

  /** Forgets a stream that never started (its call was refused): nobody can have read it. */
  discard(id: string): void {
    const stored = this.live.get(id)?.stored ?? true;
    this.live.delete(id);
    this.pending = this.pending.filter((w) => w.id !== id);
    // Never written (its writes were still behind): there is nothing to delete, and no write to hold the answer.
    if (!stored) return;
    this.sql.exec("DELETE FROM stream_events WHERE stream_id = ?", id);
    this.sql.exec("DELETE FROM streams WHERE id = ?", id);
  }

  /** Whether running stream `id` has written any event yet. */
  hasEvents(id: string): boolean {
    const live = this.live.get(id);
    return live !== undefined && live.nextSeq > 1;
  }

  /** Whether stream `id` was ever stored here and not swept yet (expired or not). */
  stored(id: string): boolean {
    return this.live.has(id) || this.row(id) !== undefined;
  }

  /** Whether this object is running stream `id` now. */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** Appends an event to a running stream; a terminal one ends it. Returns it with its id, or null when the stream is not running. */
  append(id: string, event: StreamEvent, now = Date.now()): StoredEvent | null {
    const live = this.live.get(id);
    if (!live || live.ended) return null;
    const stored = { ...event, id: live.nextSeq++ } as StoredEvent;
    const data = JSON.stringify(event.data);
    const terminal = isTerminal(event);
    const keep = terminal || (live.keptEvents < this.limits.maxEvents && live.keptBytes + data.length <= this.limits.maxBytes);
    if (keep) {
      live.keptEvents++;
      live.keptBytes += data.length;
      this.write(id, "INSERT INTO stream_events (stream_id, seq, event, data) VALUES (?, ?, ?, ?)", id, stored.id, event.event, data);
    } else {
      // Past the bound the event is sent, not kept: only the id it used is, so ids never repeat.
      this.write(id, "UPDATE streams SET next_seq = MAX(next_seq, ?) WHERE id = ?", live.nextSeq, id);
    }
    if (terminal) {
      live.ended = true;
      const expiresAt = now + this.limits.retentionMs;
      this.write(id, "UPDATE streams SET state = 'ended', next_seq = ?, ended_at = ?, expires_at = ? WHERE id = ?", live.nextSeq, now, expiresAt, id);
      this.hooks.ended?.(id, expiresAt);
    }
    // Nothing ahead of it and nothing to wait for (the common case, and every event nobody reads): handed over now.
    const mustWait = live.readers.size > 0 && (terminal || stored.id > live.reserved || !live.durable);
    if (!this.flushing && this.queue.length === 0 && !mustWait) {
      this.deliver(live, stored);
      return stored;
    }
    this.queue.push({ live, event: stored });
    if (!this.flushing) void this.flush();
    return stored;
  }

  info(id: string, now = Date.now()): StreamInfo | null {
    const live = this.live.get(id);
    if (live) return { id, kind: live.kind, owner: live.owner, message_id: live.message_id, state: live.ended ? "ended" : "open", readers: live.readers.size };
    const row = this.row(id);
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= now)) return null;
    return {
      id,
      kind: String(row.kind) as StreamKind,
      owner: row.owner === null ? null : String(row.owner),
      message_id: String(row.message_id),
      state: row.state === "ended" ? "ended" : "open",
      readers: this.live.get(id)?.readers.size ?? 0,
    };
  }

  /**
   * The events of stream `id` after `after` as SSE bytes, then, while it runs, its live tail; the
   * body closes after the terminal event. Null when there is no such stream (or it expired).
   * `done`: the stream has ended and holds nothing after `after` (the client has seen its end).
   */
  read(id: string, after: number, now = Date.now()): { reader: string; body: ReadableStream<Uint8Array>; done: boolean } | null {
    const info = this.info(id, now);
    if (!info) return null;
    const live = this.live.get(id);
    const upTo = live ? live.delivered : Number.MAX_SAFE_INTEGER;
    if (this.pending.length > 0 && after < upTo) this.writePending();
    const stored =
      after >= upTo
        ? []
        : this.sql.exec<Row>("SELECT seq, event, data FROM stream_events WHERE stream_id = ? AND seq > ? AND seq <= ? ORDER BY seq", id, after, upTo).toArray();
    const reader = `r${++this.readerSeq}`;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        for (const row of stored) {
          controller.enqueue(encoder.encode(formatSse({ id: Number(row.seq), event: String(row.event), data: JSON.parse(String(row.data)) } as StoredEvent)));
        }
        if (!live) {
          controller.close();
          return;
        }
        live.readers.set(reader, { cursor: Math.max(after, live.delivered), controller });
        this.hooks.readersChanged?.(id, live.readers.size);
      },
      cancel: () => this.release(id, reader),
    });
    return { reader, body, done: info.state === "ended" && stored.length === 0 };
  }

  /** A reader went away (its consumer cancelled, or told us); its stream goes on. */
  release(id: string, reader: string): void {
    const live = this.live.get(id);
    if (!live?.readers.delete(reader)) return;
    if (!live.ended) this.hooks.readersChanged?.(id, live.readers.size);
  }

  /** How ended stream `id` ended: its terminal event's name and, for an `error`, the problem's code; null while it runs or when there is none. */
  ending(id: string): { event: "reply" | "error"; code: string | null } | null {
    if (this.live.get(id)?.ended === false) return null;
    if (this.pending.length > 0) this.writePending();
    const row = this.sql
      .exec<Row>("SELECT event, data FROM stream_events WHERE stream_id = ? AND event IN ('reply', 'error') ORDER BY seq DESC LIMIT 1", id)
      .toArray()[0];
    if (!row) return null;
    if (row.event === "reply") return { event: "reply", code: null };
    const problem = JSON.parse(String(row.data)) as { code?: unknown };
    return { event: "error", code: typeof problem.code === "string" ? problem.code : null };
  }

  /**
   * Streams left open by an earlier instance of this object: none of them can go on (their work
   * ran in memory), so each is taken up again for its owner part to end or continue.
   */
  recover(): StreamInfo[] {
    const open = this.sql.exec<Row>("SELECT id FROM streams WHERE state = 'open'").toArray();
    const infos: StreamInfo[] = [];
    for (const { id } of open) {
      const info = this.info(String(id));
      if (!info) continue;
      this.open({ id: info.id, kind: info.kind, owner: info.owner, message_id: info.message_id });
      infos.push(info);
    }
    return infos;
  }

  /** Deletes the streams that expired at `now`; returns when the next one expires (null: none ended). */
  sweep(now = Date.now()): number | null {
    this.sql.exec("DELETE FROM stream_events WHERE stream_id IN (SELECT id FROM streams WHERE state = 'ended' AND expires_at <= ?)", now);
    this.sql.exec("DELETE FROM streams WHERE state = 'ended' AND expires_at <= ?", now);
    const next = this.sql.exec<Row>("SELECT MIN(expires_at) AS at FROM streams WHERE state = 'ended'").one().at;
    return next === null ? null : Number(next);
  }

  /** Hands queued events to their readers, each batch after it is durable when anyone reads it. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        // Read now: an ending must be durable before it is sent, and an id past the recorded ones
        // needs the next block recorded (one wait per ID_BLOCK events).
        const read = batch.filter(({ live }) => live.readers.size > 0);
        const young = new Set(read.filter(({ live }) => !live.durable).map(({ live }) => live));
        // A new stream's first commit is made a turn after it opened: the answer that attached its reader leaves the object first.
        if (young.size > 0) await new Promise((resolve) => setTimeout(resolve, 0));
        this.writePending();
        const beyond = new Set(read.filter(({ live, event }) => event.id > live.reserved).map(({ live }) => live));
        for (const live of beyond) {
          live.reserved = live.nextSeq - 1 + ID_BLOCK;
          this.sql.exec("UPDATE streams SET next_seq = MAX(next_seq, ?) WHERE id = ?", live.reserved + 1, live.id);
        }
        if (beyond.size > 0 || young.size > 0 || read.some(({ event }) => isTerminal(event))) await this.hooks.sync();
        for (const live of young) live.durable = true;
        for (const { live, event } of batch) this.deliver(live, event);
      }
    } catch (error) {
      // Storage failed: what the readers were not sent may not be durable. They end, and a
      // reconnect reads what the store really holds.
      console.error(JSON.stringify({ level: "error", msg: "stream flush failed", error: String(error) }));
      for (const live of this.live.values()) for (const { controller } of live.readers.values()) controller.error(error);
      for (const live of this.live.values()) live.readers.clear();
    } finally {
      this.flushing = false;
    }
  }

  private deliver(live: Live, event: StoredEvent): void {
    live.delivered = event.id;
    if (live.readers.size > 0) {
      const bytes = encoder.encode(formatSse(event));
      for (const reader of live.readers.values()) {
        if (event.id <= reader.cursor) continue;
        reader.cursor = event.id;
        reader.controller.enqueue(bytes);
      }
    }
    if (isTerminal(event)) {
      for (const { controller } of live.readers.values()) controller.close();
      live.readers.clear();
      this.live.delete(live.id);
    }
  }

  private row(id: string): Row | undefined {
    if (this.pending.length > 0) this.writePending();
    return this.sql.exec<Row>("SELECT * FROM streams WHERE id = ?", id).toArray()[0];
  }

  /** The id after the last one this stream used: its stored events and the ids it sent past the bound. */
  private nextSeqOf(id: string, recorded: number): number {
    const max = this.sql.exec<Row>("SELECT MAX(seq) AS seq FROM stream_events WHERE stream_id = ?", id).one().seq;
    return Math.max(recorded, max === null ? 1 : Number(max) + 1);
  }
}

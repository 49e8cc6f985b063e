/**
 * Finding one trace's messages. Each agent keeps its own rows (message log, indexed by trace id);
 * index objects (TraceDO) list which agents hold rows of which traces. An agent object tells the
 * index once per trace it sees, batched and off the reply path, so no shared object is ever on the
 * hot path. `GET /traces/:id` asks every index object which agents hold rows of the trace, asks
 * each of those for its rows and orders them with `orderTrace`.
 *
 * The index is sharded by the object that announces, not by trace id: each agent object writes to
 * one index object, one batch a second at most. Sharded by trace id, a busy object's sightings of
 * a second spread over every index shard, so it sent up to one RPC (and each index object one
 * SQLite commit) per shard per second, the largest observability cost of an invoke in
 * `npm run bench` (bench/README.md). The price is on the read side, which is rare and admin-only:
 * a trace read asks all `TRACE_INDEX_SHARDS` index objects.
 */
import type { LoggedRow } from "./message-log";
import { objectStub, type Remote } from "../registry/object-ids";
import { keyShard } from "../registry/shards";

export const TRACE_ID = /^[0-9a-f]{32}$/;

/** How long a trace stays in the index after its first message. @default 7 days */
export const TRACE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface TraceRow extends LoggedRow {
  /** The agent whose log holds this row. */
  agent: string;
}

/** Index objects the announcing agent objects are spread over, so none of them is a hot spot. */
export const TRACE_INDEX_SHARDS = 32;

/** The index object agent object `objectName` (`agent` or `agent#k`) announces its traces to. */
export function traceIndexShardOf(objectName: string): number {
  return keyShard(objectName, TRACE_INDEX_SHARDS);
}

/** An index object's answer for one trace: an agent object holding rows of it, first seen `first_at`. */
export interface TraceSighting {
  agent: string;
  first_at: string;
}

/** Entries per INSERT: three bound values each, within Durable Object SQL's 100. */
const NOTE_CHUNK = 33;

/** Which agents hold rows of which traces, in one index object's SQLite. */
export class TraceIndexTable {
  private inserts = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS trace_agents (trace_id TEXT NOT NULL, agent TEXT NOT NULL, first_at TEXT NOT NULL, PRIMARY KEY (trace_id, agent))");
    sql.exec("CREATE INDEX IF NOT EXISTS trace_agents_age ON trace_agents(first_at)");
  }

  note(agent: string, entries: Array<[traceId: string, at: string]>, now = Date.now()): void {
    // A statement per chunk rather than per entry; Durable Object SQL binds at most 100 values.
    for (let i = 0; i < entries.length; i += NOTE_CHUNK) {
      const chunk = entries.slice(i, i + NOTE_CHUNK);
      this.sql.exec(
        `INSERT INTO trace_agents (trace_id, agent, first_at) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")} ON CONFLICT DO NOTHING`,
        ...chunk.flatMap(([traceId, at]) => [traceId, agent, at]),
      );
    }
    // Retention in steps, as rows arrive: nothing else needs to wake this object.
    this.inserts += entries.length;
    if (this.inserts >= 500) {
      this.inserts = 0;
      this.sql.exec("DELETE FROM trace_agents WHERE first_at < ?", new Date(now - TRACE_RETENTION_MS).toISOString());
    }
  }

  sightings(traceId: string): TraceSighting[] {
    return this.sql
      .exec("SELECT agent, first_at FROM trace_agents WHERE trace_id = ? ORDER BY first_at, agent", traceId)
      .toArray()
      .map((r) => ({ agent: String(r.agent), first_at: String(r.first_at) }));
  }
}

/**
 * An agent object's announcements to its index object, batched: collected in memory and sent at
 * most once a second (or as soon as `maxPending` wait), so the index costs the hot path nothing
 * but an array push. A batch lost to eviction only hides that agent's rows from `GET /traces/:id`
 * (its own log still has them).
 */
export class TraceAnnouncer {
  private pending: Array<[string, string]> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (entries: Array<[string, string]>) => void,
    private readonly delayMs = 1000,
    private readonly maxPending = 200,
  ) {}

  add(traceId: string, at: string): void {
    this.pending.push([traceId, at]);
    if (this.pending.length >= this.maxPending) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const entries = this.pending;
    this.pending = [];
    if (entries.length > 0) this.send(entries);
  }
}

/**
 * The agent objects holding rows of one trace, from every index object's sightings: each object
 * once (an object moved between index layouts may be listed twice), in the order first seen.
 */
export function traceObjects(sightings: TraceSighting[][]): string[] {
  const first = new Map<string, string>();
  for (const { agent, first_at } of sightings.flat()) {
    const seen = first.get(agent);
    if (seen === undefined || first_at < seen) first.set(agent, first_at);
  }
  return [...first].sort(([a, at], [b, bt]) => (at < bt ? -1 : at > bt ? 1 : a < b ? -1 : a > b ? 1 : 0)).map(([agent]) => agent);
}

/**
 * Trace ids this agent has already announced, bounded, in memory. Forgetting one (eviction, or
 * more than `capacity` traces) only costs a duplicate announcement, which the index ignores.
 */
export class AnnouncedTraces {
  private readonly seen = new Map<string, true>();

  constructor(private readonly capacity = 512) {}

  /** True the first time `traceId` is offered (then remembered). */
  firstSighting(traceId: string): boolean {
    if (this.seen.has(traceId)) return false;
    this.seen.set(traceId, true);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }
}

function startOf(row: LoggedRow): number {
  return Date.parse(row.at) - (row.duration_ms ?? 0);
}

/**
 * Rows of several agents in flow order: by when each message started (`at` is when its outcome was
 * recorded, so start = at − duration), then by hop depth, then the sender's `out` row before the
 * receiver's `in` row of the same message, then log order.
 */
export function orderTrace(rows: TraceRow[]): TraceRow[] {
  return [...rows].sort(
    (a, b) =>
      startOf(a) - startOf(b) ||
      (a.depth ?? 0) - (b.depth ?? 0) ||
      (a.id === b.id ? (a.direction === "out" ? -1 : 1) - (b.direction === "out" ? -1 : 1) : 0) ||
      a.agent.localeCompare(b.agent) ||
      a.seq - b.seq,
  );
}

/** One shard of the trace index, as its callers see it; `durable-objects/trace-do.ts` implements it. */
export interface TraceIndexApi {
  /** Object `agent` (an agent or one of its shards) holds rows of each `[trace id, first seen]`. */
  note(agent: string, entries: Array<[string, string]>): void;
  /** The agent objects this index object knows to hold rows of `traceId`. */
  sightings(traceId: string): TraceSighting[];
}

/** Index object `shard` (0 … TRACE_INDEX_SHARDS − 1). */
export function traceIndex(env: Pick<Env, "TRACE">, shard: number): Remote<TraceIndexApi> {
  return objectStub(env.TRACE, `traces-${shard}`);
}

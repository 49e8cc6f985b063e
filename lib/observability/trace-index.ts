/**
 * Finding one trace's messages. Each agent keeps its own rows (message log, indexed by trace id);
 * a per-trace index object (TraceDO, keyed by the trace id) only lists which agents hold rows. An
 * agent tells the index once per trace it sees, off the reply path, so no shared object is ever on
 * the hot path and most hops cost nothing extra. `GET /traces/:id` reads the index, asks each
 * listed agent for its rows and orders them with `orderTrace`.
 */
import type { LoggedRow } from "./message-log";

export const TRACE_ID = /^[0-9a-f]{32}$/;

/** How long a trace index is kept after its first message. @default 7 days */
export const TRACE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface TraceRow extends LoggedRow {
  /** The agent whose log holds this row. */
  agent: string;
}

/** The agents holding rows of one trace, in the TraceDO's SQLite. */
export class TraceParticipants {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS participants (agent TEXT PRIMARY KEY, first_at TEXT NOT NULL)");
  }

  /** Adds `agent`; true when it is the trace's first participant (so expiry must be scheduled). */
  note(agent: string, at: string): boolean {
    const first = this.agents().length === 0;
    this.sql.exec("INSERT INTO participants (agent, first_at) VALUES (?, ?) ON CONFLICT(agent) DO NOTHING", agent, at);
    return first;
  }

  agents(): string[] {
    return this.sql
      .exec("SELECT agent FROM participants ORDER BY first_at, agent")
      .toArray()
      .map((r) => String(r.agent));
  }
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

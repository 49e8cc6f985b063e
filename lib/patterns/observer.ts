/**
 * Observers of an agent (seed: the observer pattern, fire and forget). The list lives in the
 * observed agent's Durable Object, in SQLite: agent observers (`{ observer: "name" }`) and URL
 * observers (`{ url: "https://…" }`). Attaching the same observer twice returns the same id.
 */
import { z } from "@hono/zod-openapi";
import { AgentName } from "../message/envelope";
import { newId } from "../message/ids";

export const ObserverTarget = z
  .union([z.strictObject({ observer: AgentName }), z.strictObject({ url: z.string().url().max(2048) })])
  .openapi("ObserverTarget", { example: { observer: "auditor" } });
export type ObserverTarget = z.infer<typeof ObserverTarget>;

export interface Observer {
  id: string;
  /** The observer agent's name, for agent observers. */
  observer?: string;
  /** The endpoint, for URL observers. */
  url?: string;
  created_at: string;
}

/** What emitting an event answers: its id and how many observers it was fanned out to. */
export interface EmitResult {
  event_id: string;
  observers: number;
  /** The agent's shard count, when it has more than one (callers learn it, as from a sync call). */
  shards?: number;
}

export const EventBody = z
  .strictObject({
    event: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^\p{Cc}]*$/u, "must not contain control characters"),
    data: z.unknown().optional(),
  })
  .openapi("EventBody", { example: { event: "order.created", data: { order: 42 } } });
export type EventBody = z.infer<typeof EventBody>;

/** Observers an agent may have. @default 1000 */
export const MAX_OBSERVERS = 1000;

type Row = { id: string; kind: string; target: string; created_at: string };

export class ObserverTable {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS observers (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (kind, target))`);
  }

  /** Adds the observer unless it is already attached; `created` says which. */
  attach(target: ObserverTarget, now = Date.now()): { observer: Observer; created: boolean } | { full: true } {
    const [kind, value] = "observer" in target ? ["agent", target.observer] : ["url", target.url];
    const existing = this.sql.exec<Row>("SELECT * FROM observers WHERE kind = ? AND target = ?", kind, value).toArray()[0];
    if (existing) return { observer: toObserver(existing), created: false };
    if (this.count() >= MAX_OBSERVERS) return { full: true };
    const row: Row = { id: newId("obs", now), kind, target: value, created_at: new Date(now).toISOString() };
    this.sql.exec("INSERT INTO observers (id, kind, target, created_at) VALUES (?, ?, ?, ?)", row.id, row.kind, row.target, row.created_at);
    return { observer: toObserver(row), created: true };
  }

  /** True when there was such an observer. */
  detach(id: string): boolean {
    return this.sql.exec("DELETE FROM observers WHERE id = ?", id).rowsWritten > 0;
  }

  /** A shard of a sharded agent: the home object's observers, ids and all, in place of what it had. */
  replace(observers: Observer[]): void {
    this.sql.exec("DELETE FROM observers");
    for (const o of observers) {
      const [kind, target] = o.observer !== undefined ? ["agent", o.observer] : ["url", o.url ?? ""];
      this.sql.exec("INSERT INTO observers (id, kind, target, created_at) VALUES (?, ?, ?, ?)", o.id, kind, target, o.created_at);
    }
  }

  list(): Observer[] {
    return this.sql.exec<Row>("SELECT * FROM observers ORDER BY created_at, id").toArray().map(toObserver);
  }

  count(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM observers").one().n);
  }
}

function toObserver(row: Row): Observer {
  const base = { id: String(row.id), created_at: String(row.created_at) };
  return row.kind === "agent" ? { ...base, observer: String(row.target) } : { ...base, url: String(row.target) };
}

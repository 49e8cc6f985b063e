/**
 * TraceDO: one shard of the trace index (`traces-<k>`, the shard of the agent objects that
 * announce to it, lib/observability/trace-index.ts), listing which agents hold rows of which traces. Agents send it batches of announcements without
 * awaiting them (off the reply path); `GET /traces/:id` reads it. Entries are kept 7 days.
 */
import { DurableObject } from "cloudflare:workers";
import { type TraceIndexApi, TraceIndexTable, type TraceSighting } from "../lib/observability/trace-index";

export class TraceDO extends DurableObject<Env> implements TraceIndexApi {
  private readonly table: TraceIndexTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new TraceIndexTable(ctx.storage.sql);
  }

  note(agent: string, entries: Array<[string, string]>): void {
    this.table.note(agent, entries);
  }

  sightings(traceId: string): TraceSighting[] {
    return this.table.sightings(traceId);
  }
}

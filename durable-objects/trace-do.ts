/**
 * TraceDO: one small object per trace id, listing the agents whose logs hold the trace's messages.
 * Agents append to it without awaiting (off the reply path); `GET /traces/:id` reads it. It deletes
 * itself `TRACE_RETENTION_MS` after the trace's first message.
 */
import { DurableObject } from "cloudflare:workers";
import { DeadlineTable } from "../lib/resilience/deadline-table";
import { TRACE_RETENTION_MS, TraceParticipants } from "../lib/observability/trace-index";

export class TraceDO extends DurableObject<Env> {
  private participants!: TraceParticipants;
  private deadlines!: DeadlineTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.open();
  }

  private open(): void {
    this.participants = new TraceParticipants(this.ctx.storage.sql);
    this.deadlines = new DeadlineTable(this.ctx.storage.sql, this.ctx.storage);
  }

  async note(agent: string, at: string): Promise<void> {
    if (this.participants.note(agent, at)) await this.deadlines.schedule("expire", "trace", Date.now() + TRACE_RETENTION_MS);
  }

  agents(): string[] {
    return this.participants.agents();
  }

  override async alarm(): Promise<void> {
    if (this.deadlines.takeDue(Date.now()).some((d) => d.kind === "expire")) {
      await this.ctx.storage.deleteAll();
      // A late message of the same trace starts a fresh index in this instance.
      this.open();
      return;
    }
    await this.deadlines.rearm();
  }
}

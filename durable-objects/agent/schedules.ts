/**
 * Recurring schedules of this agent (`/agents/:name/schedules`): each is a row
 * (lib/time/schedule-store.ts) and a `schedule` deadline at its next due time. When the alarm runs
 * it, the firing plan (lib/time/firing-plan.ts) says which due times fire under the schedule's
 * catch-up policy; each firing is an ordinary async message to the agent whose idempotency key is
 * the schedule id and the due time, so an alarm that runs late, twice, or again after a crash never
 * sends the same firing twice. Paused schedules, and every schedule while the agent is paused, do
 * not fire; when they resume, what they missed follows their `catch_up`.
 */
import type { Submission } from "../../lib/agents/agent-api";
import { makeEnvelope } from "../../lib/message/call";
import { type Result, failure } from "../../lib/message/errors";
import { newId } from "../../lib/message/ids";
import type { AgentEntry } from "../../lib/registry/entry";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { callRefusal } from "../../lib/security/acl";
import { contentRefusal } from "../../lib/registry/input-schema";
import { planFirings } from "../../lib/time/firing-plan";
import { recurrence, type RecurrenceSpec } from "../../lib/time/recurrence";
import { MAX_SCHEDULES, type ScheduleBody, type ScheduleRow, type ScheduleView, scheduleView } from "../../lib/time/schedule";
import { ScheduleStore } from "../../lib/time/schedule-store";

const KIND = "schedule";

export interface SchedulesDeps {
  sql: SqlStorage;
  deadlines: DeadlineTable;
  agent: string;
  /** Submits one firing as an async message to this agent (Messaging.submit). */
  submit(submission: Submission): Promise<Result<{ request_id: string; duplicate: boolean }>>;
  /** The agent's deliveries are paused (POST /agents/:name/pause): schedules wait too. */
  paused(): boolean;
}

export class Schedules {
  private readonly store: ScheduleStore;

  constructor(private readonly deps: SchedulesDeps) {
    this.store = new ScheduleStore(deps.sql);
    deps.deadlines.handle(KIND, (id) => this.fire(id, Date.now()));
  }

  /** A new schedule from `from` (null: admin), first due after now. */
  async create(entry: AgentEntry | null, body: ScheduleBody, from: string | null, now = Date.now()): Promise<Result<{ schedule: ScheduleView }>> {
    const { agent } = this.deps;
    if (!entry) return failure("agent_not_found", `no agent named ${agent}`);
    const refused = callRefusal(from, entry) ?? contentRefusal(body.content, entry);
    if (refused) return refused;
    if (this.store.count() >= MAX_SCHEDULES)
      return failure("conflict", `${agent} already has ${MAX_SCHEDULES} schedules, the most an agent may hold; delete one first`);
    const spec: RecurrenceSpec =
      body.cron !== undefined ? { cron: body.cron, ...(body.timezone ? { timezone: body.timezone } : {}) } : { every_ms: body.every_ms as number };
    const anchor = "every_ms" in spec ? now + spec.every_ms : now;
    const row: ScheduleRow = {
      id: newId("sch", now),
      spec,
      anchor_at: anchor,
      message: { content: body.content, metadata: body.metadata ?? {}, reply_to: body.reply_to ?? null, timeout_ms: body.timeout_ms ?? null },
      sender: from,
      catch_up: body.catch_up ?? "one",
      paused: false,
      next_at: recurrence(spec, anchor).next(now),
      last_fired_at: null,
      fired: 0,
      skipped: 0,
      last_error: null,
      created_at: now,
    };
    this.store.insert(row);
    await this.arm(row);
    return { ok: true, schedule: scheduleView(agent, row) };
  }

  /** Admin and the agent itself see every schedule; another sender sees the ones it created. */
  list(viewer: string | null): ScheduleView[] {
    return this.store
      .list()
      .filter((row) => this.mayManage(viewer, row))
      .map((row) => scheduleView(this.deps.agent, row));
  }

  get(id: string, viewer: string | null): Result<{ schedule: ScheduleView }> {
    const found = this.find(id, viewer);
    return found.ok ? { ok: true, schedule: scheduleView(this.deps.agent, found.row) } : found;
  }

  remove(id: string, viewer: string | null): Result<{ schedule: ScheduleView }> {
    const found = this.find(id, viewer);
    if (!found.ok) return found;
    this.store.remove(id);
    this.deps.deadlines.cancel(KIND, id);
    return { ok: true, schedule: scheduleView(this.deps.agent, found.row) };
  }

  /** The agent was deleted: its schedules go with it, so nothing wakes its object to fire them. */
  removeAll(): void {
    for (const id of this.store.removeAll()) this.deps.deadlines.cancel(KIND, id);
  }

  /** Pauses or resumes one schedule; a resumed schedule handles what it missed by its `catch_up`. */
  async setPaused(id: string, viewer: string | null, paused: boolean): Promise<Result<{ schedule: ScheduleView }>> {
    const found = this.find(id, viewer);
    if (!found.ok) return found;
    this.store.update(id, { paused });
    const row = { ...found.row, paused };
    if (paused) this.deps.deadlines.cancel(KIND, id);
    else await this.arm(row);
    return { ok: true, schedule: scheduleView(this.deps.agent, row) };
  }

  /** The agent resumed: every schedule that is not paused itself is due again at its next_at (or now). */
  async resumeAll(): Promise<void> {
    for (const row of this.store.list()) await this.arm(row);
  }

  /** Upcoming due times of the schedules that will fire, soonest first (for the agent's status). */
  nextFiring(): number | null {
    const times = this.store
      .list()
      .filter((row) => !row.paused && row.next_at !== null)
      .map((row) => row.next_at as number);
    return times.length > 0 ? Math.min(...times) : null;
  }

  count(): number {
    return this.store.count();
  }

  /** The `schedule` deadline: fire what the plan says is due, then move to the next due time. */
  async fire(id: string, now: number): Promise<void> {
    const row = this.store.get(id);
    if (!row || row.paused || row.next_at === null || this.deps.paused()) return;
    const plan = planFirings({ next_at: row.next_at, catch_up: row.catch_up }, recurrence(row.spec, row.anchor_at), now);
    let lastError = row.last_error;
    for (const due of plan.fire) {
      const submitted = await this.deps.submit(this.firing(row, due, now));
      // Refused for good (the sender lost access): recorded on the schedule, which moves on.
      lastError = submitted.ok ? null : { code: submitted.code, detail: submitted.detail };
    }
    const fired = plan.fire.length;
    this.store.update(id, {
      next_at: plan.next_at,
      fired: row.fired + fired,
      skipped: row.skipped + plan.skipped,
      last_error: lastError,
      ...(fired > 0 ? { last_fired_at: plan.fire[fired - 1] as number } : {}),
    });
    await this.arm({ ...row, next_at: plan.next_at });
  }

  /** One firing: the schedule's message, from its creator, marked with the schedule and the due time. */
  private firing(row: ScheduleRow, due: number, now: number): Submission {
    const scheduledFor = new Date(due).toISOString();
    return {
      message: makeEnvelope({
        from: row.sender,
        to: this.deps.agent,
        role: "agent_call",
        content: row.message.content,
        metadata: { ...row.message.metadata, schedule_id: row.id, scheduled_for: scheduledFor },
        now,
      }),
      reply_to: row.message.reply_to,
      timeout_ms: row.message.timeout_ms,
      idempotency_key: `schedule:${row.id}@${scheduledFor}`,
    };
  }

  private async arm(row: Pick<ScheduleRow, "id" | "paused" | "next_at">): Promise<void> {
    if (row.paused || row.next_at === null) this.deps.deadlines.cancel(KIND, row.id);
    else await this.deps.deadlines.schedule(KIND, row.id, row.next_at);
  }

  private find(id: string, viewer: string | null): Result<{ row: ScheduleRow }> {
    const row = this.store.get(id);
    if (!row) return failure("schedule_not_found", `no schedule ${id.slice(0, 100)} on ${this.deps.agent}`);
    if (!this.mayManage(viewer, row)) return failure("forbidden", `agent ${viewer} may not manage ${id}`);
    return { ok: true, row };
  }

  private mayManage(viewer: string | null, row: ScheduleRow): boolean {
    return viewer === null || viewer === this.deps.agent || viewer === row.sender;
  }
}

/**
 * Documented test hooks into an agent object's own tables, through the lib classes the object
 * itself uses over them (never raw SQL, never the instance's private fields): seed a request the
 * agent waits a reply for, as `ctx.request` would leave it, and read what became of it; read what
 * an async request still owes (its lease, its dead letter, its deadlines); move a schedule's next
 * due time into the past; run the lease sweep.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type PendingStatus, PendingReplies } from "../../lib/protocols/pending-replies";
import { RequestStore } from "../../lib/protocols/request-store";
import { DeadlineTable } from "../../lib/resilience/deadline-table";
import { ScheduleStore } from "../../lib/time/schedule-store";

/** The home object of `agent`. */
export function agentObjectStub(agent: string) {
  return env.AGENT.get(env.AGENT.idFromName(agent));
}

/** A pending `ctx.request` of `agent` to `to`, with its durable `request` deadline at `deadline`. */
export function seedPendingRequest(agent: string, requestId: string, to: string, deadline: number): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), async (_, state) => {
    new PendingReplies(state.storage.sql).add(requestId, to, deadline, Date.now());
    await new DeadlineTable(state.storage.sql, state.storage).schedule("request", requestId, deadline);
  });
}

/** The state of one of `agent`'s own requests: pending, replied or timed_out (undefined: unknown). */
export function pendingStatus(agent: string, requestId: string): Promise<PendingStatus | undefined> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => new PendingReplies(state.storage.sql).get(requestId)?.status);
}

/**
 * Moves a schedule's next due time (and its deadline) to `nextAt`, as if the object had stopped
 * before firing it or had fired it and crashed before moving on; the next alarm then runs it.
 */
export function rewindSchedule(agent: string, scheduleId: string, nextAt: number): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), async (_, state) => {
    new ScheduleStore(state.storage.sql).update(scheduleId, { next_at: nextAt });
    await new DeadlineTable(state.storage.sql, state.storage).schedule("schedule", scheduleId, nextAt);
  });
}

/** Runs `agent`'s lease sweep now, as its alarm would once a lease expired. */
export function sweepLeasesNow(agent: string): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), async (_, state) => {
    await new DeadlineTable(state.storage.sql, state.storage).schedule("lease", "sweep", Date.now());
  });
}

/**
 * What `agent`'s object owes for one of its async requests: its status, its delivery lease (and
 * whether a lease sweep, however late, would enqueue it again), its dead letter, and the `lease`
 * sweep and `input` deadlines scheduled for it.
 */
export function requestOutbox(agent: string, requestId: string) {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    const requests = new RequestStore(state.storage.sql);
    const deadlines = new DeadlineTable(state.storage.sql, state.storage);
    const row = requests.get(requestId);
    return {
      status: row?.status,
      lease_until: row?.lease_until ?? null,
      swept_ever: requests.expiredLeases(Number.MAX_SAFE_INTEGER, 1000).some((r) => r.request_id === requestId),
      letter_id: row?.letter_id ?? null,
      letter_pending: row?.letter_pending ?? false,
      sweep_at: deadlines.dueAt("lease", "sweep"),
      input_due_at: deadlines.dueAt("input", requestId),
    };
  });
}

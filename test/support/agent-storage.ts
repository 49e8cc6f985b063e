/**
 * Documented test hooks into an agent object's own tables, through the lib classes the object
 * itself uses over them (never the instance's private fields), for states no public interface
 * reaches: whether an object keeps a request or a stream; seed a request the agent waits a reply
 * for, as `ctx.request` would leave it, and read what became of it; read what an async request
 * still owes (its lease, its dead letter, its deadlines); seed a request whose queue message was
 * lost, or one whose queue message the test hands the consumer itself, or prune one as retention
 * would, or seed one finished long ago; move a schedule's next due time into the past; run the lease sweep or a deadline now;
 * read and seed a batching agent's buffer; store a request whose queue message the queue refuses. Each hook has one meaning; the one statement no lib
 * class offers is named where it is used.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Leases } from "../../durable-objects/agent/leases";
import { makeEnvelope } from "../../lib/message/call";
import { DEFAULT_LEASE_MS } from "../../lib/protocols/async-delivery";
import { type PendingStatus, PendingReplies } from "../../lib/protocols/pending-replies";
import { RequestStore } from "../../lib/protocols/request-store";
import { shardObjectName } from "../../lib/registry/shards";
import { BatchBuffer } from "../../lib/resilience/batch-buffer";
import { DeadlineTable } from "../../lib/resilience/deadline-table";
import { StreamLog } from "../../lib/streams/stream-log";
import { ScheduleStore } from "../../lib/time/schedule-store";

/** The object of `agent`'s shard `shard` (0, the default: its home object). */
export function agentObjectStub(agent: string, shard = 0) {
  return env.AGENT.get(env.AGENT.idFromName(shardObjectName(agent, shard)));
}

/** Whether `agent`'s shard `shard` keeps the row of request `requestId` (a sharded agent's requests live on one shard each). */
export function storesRequest(agent: string, shard: number, requestId: string): Promise<boolean> {
  return runInDurableObject(agentObjectStub(agent, shard), (_, state) => new RequestStore(state.storage.sql).get(requestId) !== null);
}

/** Whether `agent`'s shard `shard` keeps stream `streamId` in its SQLite (expired or not): a stream its owner never had to store is not there. */
export function storesStream(agent: string, shard: number, streamId: string): Promise<boolean> {
  return runInDurableObject(agentObjectStub(agent, shard), (_, state) =>
    new StreamLog(state.storage.sql, { sync: () => state.storage.sync() }).stored(streamId),
  );
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

/**
 * What a crash between storing an async request and enqueuing it leaves (or a restart that lost
 * the local queue): a pending request to `agent` whose lease expired now, no queue message, and the
 * lease sweep due.
 */
export function seedStrandedRequest(agent: string, requestId: string, content: unknown): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), async (_, state) => {
    const message = makeEnvelope({ from: null, to: agent, role: "agent_call", content, metadata: { request_id: requestId } });
    const now = Date.now();
    new RequestStore(state.storage.sql).create({ request_id: requestId, message, reply_to: null, timeout_ms: null, now, lease_until: now });
    await new DeadlineTable(state.storage.sql, state.storage).schedule("lease", "sweep", now);
  });
}

/**
 * A request to `agent` stored with its lease as `submit` stores it, whose queue message the real
 * DELIVERIES queue then refuses, sent by the same `Leases.send` the object runs after its 202: the
 * message is made too large for a queue message (its agent field over 128 KB), which stands in for
 * a queue that is down. The lease is left as the refusal leaves it.
 */
export function storeRequestTheQueueRefuses(agent: string, requestId: string, content: unknown): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), async (_, state) => {
    const message = makeEnvelope({ from: null, to: agent, role: "agent_call", content, metadata: { request_id: requestId } });
    const requests = new RequestStore(state.storage.sql);
    const leases = new Leases({
      requests,
      deadlines: new DeadlineTable(state.storage.sql, state.storage),
      queue: env.DELIVERIES,
      leaseMs: DEFAULT_LEASE_MS,
      inFlight: new Set(),
    });
    const now = Date.now();
    requests.create({ request_id: requestId, message, reply_to: null, timeout_ms: null, now, lease_until: leases.until(now) });
    await leases.watch(leases.until(now));
    await leases.send([{ request_id: requestId, replay_of: null }], agent.padEnd(200_000, "x"));
  });
}

/**
 * A pending async request to `agent` whose queue message is the one the test hands the consumer
 * itself (its lease is an hour off, so nothing else enqueues it). `unreadable`: its stored message
 * is not JSON, as a corrupted row would be, so its delivery throws; the one statement no lib class
 * offers.
 */
export function seedQueuedRequest(agent: string, requestId: string, content: unknown, options: { unreadable?: boolean } = {}): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    const message = makeEnvelope({ from: null, to: agent, role: "agent_call", content, metadata: { request_id: requestId } });
    const now = Date.now();
    new RequestStore(state.storage.sql).create({ request_id: requestId, message, reply_to: null, timeout_ms: null, now, lease_until: now + 3_600_000 });
    if (options.unreadable) state.storage.sql.exec("UPDATE requests SET message = '{' WHERE request_id = ?", requestId);
  });
}

/** One of `agent`'s requests as a week-old reply leaves it: finished at `at`, stored then. */
export function seedFinishedRequest(agent: string, requestId: string, at: number): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    const message = makeEnvelope({ from: null, to: agent, role: "agent_call", content: "old", metadata: { request_id: requestId } });
    const store = new RequestStore(state.storage.sql);
    store.create({ request_id: requestId, message, reply_to: null, timeout_ms: null, now: at, lease_until: null });
    store.update(requestId, { status: "replied" }, at);
  });
}

/** Removes one of `agent`'s request rows, as retention does once it is older than rows are kept. */
export function pruneRequest(agent: string, requestId: string): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    new RequestStore(state.storage.sql).remove(requestId);
  });
}

/**
 * Runs `agent`'s deadlines of `kind` now, as time passing would, and answers whether its alarm
 * ran. The rows are made due where they are, in one statement (the table moves a deadline only
 * together with the alarm, which could then fire on its own first): the alarm stays where it was,
 * so only this call runs it.
 */
export async function runDeadlineNow(agent: string, kind: string): Promise<boolean> {
  const stub = agentObjectStub(agent);
  await runInDurableObject(stub, (_, state) => {
    state.storage.sql.exec("UPDATE deadlines SET due_at = 0 WHERE kind = ?", kind);
  });
  return runDurableObjectAlarm(stub);
}

/** A batching agent's buffer: the items it holds (any state, answered ones kept for redeliveries) and those waiting for a flush. */
export function batchItems(agent: string): Promise<{ pending: number; total: number }> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    const buffer = new BatchBuffer(state.storage.sql);
    return { pending: buffer.pendingCount(), total: buffer.count() };
  });
}

/** The state a model call in progress leaves in `agent`'s buffer: one item, taken into the call (inflight) and counted once. */
export function seedInflightBatchItem(agent: string, id: string, input: unknown): Promise<void> {
  return runInDurableObject(agentObjectStub(agent), (_, state) => {
    const buffer = new BatchBuffer(state.storage.sql);
    buffer.add({ id, agent, input, enqueued_at: Date.now(), meta: { from: null, request_id: null, traceparent: null } });
    buffer.take(1, [id]);
    buffer.countAttempt([id]);
  });
}

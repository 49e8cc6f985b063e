/**
 * Flow control and pause of this agent's async deliveries (lib/flow/): every request that is ready
 * to go passes the per-key gate, and so does every queue message before its attempt runs. Held
 * requests stay `pending` with no queue message and no attempt spent; they are enqueued again,
 * oldest first per key, when an attempt of their key ends or its rate has room — the `flow`
 * deadline covers the rate, and a restart that lost the running count. Pausing the agent holds
 * everything; resuming releases it in the order it was held.
 */
import type { Envelope } from "../../lib/message/envelope";
import { type FlowConfig, flowKeyOf, MAX_PERIOD_MS } from "../../lib/flow/flow-config";
import { FlowGate } from "../../lib/flow/flow-gate";
import { HeldStore } from "../../lib/flow/held-store";
import { RateLog } from "../../lib/flow/rate";
import type { AgentEntry } from "../../lib/registry/entry";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";

const KIND = "flow";
const KEY = "sweep";
const PAUSED_KEY = "paused";
/** Held requests released per key and sweep (one sendBatch takes 100). */
const RELEASE_BATCH = 100;
/** Held for a running key: looked at again this late at most, should the running count be lost. */
const BACKSTOP_MS = 60_000;

export interface FlowControlDeps {
  sql: SqlStorage;
  kv: SyncKvStorage;
  deadlines: DeadlineTable;
  load(): AgentEntry | null;
  /** Enqueues pending requests that may go now (with leases, so a refused enqueue is retried by the alarm). */
  enqueue(requestIds: string[]): Promise<void>;
}

interface Ready {
  request_id: string;
  message: Envelope;
}

export class FlowControl {
  private readonly held: HeldStore;
  private readonly rates: RateLog;
  private readonly gate: FlowGate;
  /** When the sweep is due, as last set here (undefined: not known, e.g. after a restart). */
  private sweepAt: number | undefined;
  /** Whether the agent is paused, as stored (read once: only setPaused writes it), so every message's gate reads no storage. */
  private pausedNow: boolean | undefined;

  constructor(private readonly deps: FlowControlDeps) {
    this.held = new HeldStore(deps.sql);
    this.rates = new RateLog(deps.sql);
    this.gate = new FlowGate(this.held, this.rates);
    deps.deadlines.handle(KIND, () => this.sweep(Date.now()));
  }

  get paused(): boolean {
    this.pausedNow ??= this.deps.kv.get<boolean>(PAUSED_KEY) === true;
    return this.pausedNow;
  }

  /** How many requests are held. */
  heldCount(): number {
    return this.held.count();
  }

  isHeld(requestId: string): boolean {
    return this.held.has(requestId);
  }

  /** Requests ready to go (new, or due): the ones that may be enqueued now; the others are held. */
  async offer(entry: AgentEntry | null, ready: Ready[]): Promise<string[]> {
    const now = Date.now();
    const flow = entry?.flow;
    const go: string[] = [];
    let retryAt: number | undefined;
    for (const { request_id, message } of ready) {
      const room = this.gate.offer(flow, this.paused, request_id, flowKeyOf(message, flow?.key), now);
      if (room.ok) go.push(request_id);
      else retryAt = earliest(retryAt, room.retry_at);
    }
    if (go.length < ready.length) await this.arm(now, retryAt);
    return go;
  }

  /** A queue message arrived: true to run the attempt, false when the request is held (ack the message). */
  async admit(entry: AgentEntry | null, requestId: string, message: Envelope): Promise<boolean> {
    const now = Date.now();
    const flow = entry?.flow;
    const room = this.gate.admit(flow, this.paused, requestId, flowKeyOf(message, flow?.key), now);
    if (!room.ok) await this.arm(now, room.retry_at);
    return room.ok;
  }

  /** An admitted attempt ended: its slot is free, and its key's next held request may go. */
  async done(entry: AgentEntry | null, message: Envelope): Promise<void> {
    const flow = entry?.flow;
    const key = flowKeyOf(message, flow?.key);
    this.gate.done(flow, key);
    if (this.held.hasKey(key)) await this.release(flow, [key], Date.now());
  }

  /** A cancelled request leaves the line; true when it was held. */
  forget(requestId: string): boolean {
    return this.held.remove(requestId);
  }

  /** POST /agents/:name/pause and /resume. Resuming releases what was held, oldest first. */
  async setPaused(paused: boolean): Promise<void> {
    this.deps.kv.put(PAUSED_KEY, paused);
    this.pausedNow = paused;
    if (!paused) await this.arm(Date.now(), Date.now());
  }

  /** The `flow` deadline: every key with a backlog releases what it has room for. */
  async sweep(now: number): Promise<void> {
    this.sweepAt = undefined;
    const entry = this.deps.load();
    await this.release(entry?.flow, this.held.keys(), now);
    this.rates.prune(now - MAX_PERIOD_MS);
  }

  private async release(flow: FlowConfig | undefined, keys: string[], now: number): Promise<void> {
    let retryAt: number | undefined;
    let full = false;
    for (const key of keys) {
      const { ids, retry_at } = this.gate.pump(flow, this.paused, key, now, RELEASE_BATCH);
      retryAt = earliest(retryAt, retry_at);
      full ||= ids.length === RELEASE_BATCH;
      if (ids.length > 0) await this.deps.enqueue(ids);
    }
    if (this.held.count() > 0) await this.arm(now, full ? now + 1 : retryAt);
    else {
      this.sweepAt = undefined;
      this.deps.deadlines.cancel(KIND, KEY);
    }
  }

  /** A sweep no later than `retryAt` (a rate's next room), and never later than the backstop. */
  private async arm(now: number, retryAt: number | undefined): Promise<void> {
    if (this.paused) return;
    const at = Math.max(now + 1, Math.min(retryAt ?? Number.POSITIVE_INFINITY, now + BACKSTOP_MS));
    if (this.sweepAt === undefined) this.sweepAt = this.deps.deadlines.dueAt(KIND, KEY) ?? undefined;
    // One sweep serves every key: never move it later than a key needs it.
    if (this.sweepAt !== undefined && this.sweepAt > now && this.sweepAt <= at) return;
    this.sweepAt = at;
    await this.deps.deadlines.schedule(KIND, KEY, at);
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

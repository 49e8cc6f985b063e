/**
 * The one way any code reaches an agent: Worker routes, queue consumers and other agents' objects
 * all hold an `AgentRef`. It owns what a caller must not have to know: which Durable Object (or
 * shard) serves the agent, the shard count learnt from answers, the open breakers seen lately, and
 * the fan-out of reads over a sharded agent's objects. Calls from one object to another go straight
 * through here, never back through a Worker module.
 */
import type { LoggedRow } from "../observability/message-log";
import { mergeShardReports } from "../observability/merge-reports";
import type { AgentMetricsReport } from "../observability/prometheus";
import type { ListedTask, TaskListing, TaskOwner, TaskPage } from "../a2a/task-table";
import { mergePages, type PageSource } from "../registry/sorted-merge";
import type { AgentEntry, StoredConfig } from "../registry/entry";
import { objectStub, type Remote } from "../registry/object-ids";
import { allShards, type FlowHint, keyShard, pickShard, ShardHints, shardObjectName } from "../registry/shards";
import { requestAddress } from "../message/ids";
import { outboundUnderway } from "../protocols/outbound-watch";
import type { RequestView } from "../protocols/request-store";
import { idempotencyScope } from "../protocols/request-store";
import type { Failure, Result } from "../message/errors";
import type { EmitResult, Observer, ObserverTarget } from "../patterns/observer";
import { streamHome } from "../streams/stream-id";
import type {
  AgentClientApi,
  AgentDescription,
  AgentQueueApi,
  AgentShardApi,
  KeyedCall,
  KeyedInvokeResult,
  KeyedStreamStarted,
  ShardStatus,
  StreamStarted,
  Submission,
  Submitted,
} from "./agent-api";
import { flowKeyOf } from "../flow/flow-config";
import type { Call } from "../message/call";
import { type CallOptions, cancelDetail, cancelledFailure, untilCancelled } from "./cancellation";
import { openBreakers } from "./open-breakers";
import type { InvokeResult } from "../message/call";

/** Shard counts learnt from answers, per isolate (lib/registry/shards.ts). */
const shardHints = new ShardHints();

export type AgentObject = Remote<AgentClientApi & AgentShardApi & AgentQueueApi>;

export class AgentRef {
  constructor(
    private readonly env: Pick<Env, "AGENT">,
    readonly name: string,
  ) {}

  /** The home object (shard 0), as clients see it: configuration, observers, handshakes, the breaker. */
  get client(): Remote<AgentClientApi> {
    return this.object(0);
  }

  /** The home object, as the queue consumers see it. */
  get queue(): Remote<AgentQueueApi> {
    return this.queueOn(0);
  }

  /** Object `shard` of the agent (0: home), as the queue consumers see it: a reply goes to the shard waiting for it. */
  queueOn(shard: number): Remote<AgentQueueApi> {
    return this.object(shard);
  }

  /** The object holding async request `requestId` (its id names the shard), as clients and the queue consumers see it. */
  forRequest(requestId: string): Remote<AgentClientApi & AgentQueueApi> {
    return this.object(requestAddress(requestId)?.shard ?? 0);
  }

  /**
   * The object keeping A2A task `taskId` of an agent with `shards` shards. The SDK names tasks, so
   * the id cannot carry its shard as a request id does: it hashes to it, and no lookup is needed.
   */
  forTask(taskId: string, shards: number): Remote<AgentClientApi> {
    return this.object(keyShard(`task:${taskId}`, shards));
  }

  /**
   * A2A ListTasks over every shard of an agent with `shards` shards: one order, most recently
   * updated first, merged from the shards' own (lib/registry/sorted-merge.ts). The position is the
   * last task's key, which places every shard: each resumes strictly after it.
   */
  async listTasks(query: TaskListing, owner: TaskOwner, shards: number): Promise<TaskPage> {
    const { page_size, after, ...filter } = query;
    const totals: number[] = [];
    const sources = Array.from(
      { length: Math.max(1, shards) },
      (_, shard): PageSource<ListedTask> =>
        async (from, limit) => {
          const slice = await this.onShard(shard).listTasks({ ...filter, limit, after: from }, owner);
          totals[shard] ??= slice.total_size;
          return { items: slice.items, more: slice.more };
        },
    );
    const page = await mergePages(sources, { key: (t) => t.key, order: "desc", after, limit: page_size });
    return { tasks: page.items.map((t) => t.task), last: page.last, total_size: totals.reduce((n, t) => n + t, 0) };
  }

  /** Object `shard` of the agent (0: home), as the agent's other shards see it. */
  peer(shard: number): Remote<AgentShardApi> {
    return this.object(shard);
  }

  /** Object `shard` of the agent (0: home), as clients see it: for reads of that shard alone. */
  onShard(shard: number): Remote<AgentClientApi> {
    return this.object(shard);
  }

  /**
   * A sync call, to one of the agent's shards when it has more than one. While the agent's breaker
   * is known open the call fails here without a round trip (./open-breakers.ts). When
   * `options.signal` aborts, the object running the call is told to cancel it (./cancellation.ts).
   */
  invoke(call: Call, options: CallOptions = {}): Promise<InvokeResult> {
    return this.sync(call, options, this.pickShard(), (object) => object.invoke(call));
  }

  /**
   * A sync call with an idempotency key (`POST /agents/:name/invoke` with `idempotency_key`), to
   * the shard the sender-scoped key names as far as this isolate knows the shard count (that shard
   * passes it on when it knows better, naming the `shard`): a retry finds the first call's answer
   * wherever it arrives. It goes to the object even while the breaker is known open here: a kept
   * reply is answered without calling the agent, and the object's breaker decides the rest.
   */
  invokeKeyed(call: Call, keyed: KeyedCall, options: CallOptions = {}, shard?: number): Promise<KeyedInvokeResult> {
    return this.sync(call, options, shard ?? this.keyShard(call, keyed), (object) => object.invokeKeyed(call, keyed), "ask");
  }

  private async sync<T extends Result<unknown> & { shards?: number }>(
    call: Call,
    options: CallOptions,
    shard: number,
    send: (object: AgentObject) => Promise<T>,
    breakerMemo: "execute" | "ask" = "execute",
  ): Promise<T | Failure> {
    if (options.signal?.aborted) return cancelledFailure(options.signal);
    return openBreakers[breakerMemo](this.name, async () => {
      const sent = send(this.object(shard));
      outboundUnderway();
      const result = await untilCancelled(sent, options, (detail) => this.object(shard).cancel(call.message.id, detail));
      return this.learnShards(result, shard);
    });
  }

  /**
   * A streaming call, to a shard as `invoke` picks it: answers once the call started (its `start`
   * event is the body's first) or with the failure that kept it from starting. `options.signal`
   * cancels it before and after it started; after, the body ends with the `cancelled` error event.
   */
  async invokeStream(call: Call, options: CallOptions = {}): Promise<StreamStarted> {
    return this.openStream(call, options, this.pickShard(), (object) => object.invokeStream(call), "execute");
  }

  /**
   * A streaming call with an idempotency key, sent to the shard its key hashes to (`shard` when the
   * caller knows better); like `invokeKeyed`, it passes the open-breaker memo, so a retry can still
   * get its kept answer while the breaker is open.
   */
  invokeStreamKeyed(call: Call, keyed: KeyedCall, options: CallOptions = {}, shard?: number): Promise<KeyedStreamStarted> {
    return this.openStream(call, options, shard ?? this.keyShard(call, keyed), (object) => object.invokeStreamKeyed(call, keyed), "ask");
  }

  /** `sync`, and once the call started, `options.signal` cancels it too: after, the body ends with the `cancelled` error event. */
  private async openStream<T extends StreamStarted>(
    call: Call,
    options: CallOptions,
    shard: number,
    send: (object: AgentObject) => Promise<T>,
    breakerMemo: "execute" | "ask",
  ): Promise<T | Failure> {
    const opened = await this.sync(call, options, shard, send, breakerMemo);
    const { signal } = options;
    if (!opened.ok || !signal) return opened;
    const onAbort = () => {
      const told = this.object(shard)
        .cancel(call.message.id, cancelDetail(signal))
        .catch(() => {});
      options.waitUntil?.(told);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const stop = () => signal.removeEventListener("abort", onAbort);
    return { ...opened, body: opened.body.pipeThrough(new TransformStream({ flush: stop, cancel: stop } as Transformer<Uint8Array, Uint8Array>)) };
  }

  private pickShard(): number {
    return pickShard(shardHints.shards(this.name));
  }

  /** The shard a keyed call's sender-scoped key names, as far as this isolate knows the shard count. */
  private keyShard(call: Call, keyed: KeyedCall): number {
    return keyShard(idempotencyScope(call.message.from, keyed.key), shardHints.shards(this.name));
  }

  /** Remembers the shard count an answer told (or forgets it, when the home object says there is one). */
  private learnShards<T extends { ok: boolean; shards?: number }>(result: T, shard: number): T {
    shardHints.learn(this.name, shard, result.shards);
    return result;
  }

  /**
   * An async request, stored by one of the agent's shards, which then delivers it through its own
   * pipeline. The shard that must hold it (`requestOwner`) is chosen here when this isolate can
   * tell, else by a uniformly random shard; until an answer has told this isolate the shard count,
   * requests go home. A shard that is not the request's owner passes it on (Messaging.submit).
   */
  async submit(submission: Submission): Promise<Submitted> {
    const route = shardHints.route(this.name);
    const shard = requestOwner(route, submission) ?? pickShard(route.shards);
    const result = await this.object(shard).submit(submission);
    if (result.ok) shardHints.learn(this.name, shard, result.shards, Date.now(), result.flow ?? null);
    return result;
  }

  /**
   * POST /agents/:name/pause and /resume, on every shard: each holds and releases the requests it
   * stores. Home first, so the agent's status (read at home) never says resumed while a shard holds.
   */
  async setPaused(paused: boolean): Promise<{ paused: boolean; held: number } | null> {
    const home = await this.client.setPaused(paused);
    if (!home) return null;
    const others = await Promise.all(this.others(await this.shardCount()).map((shard) => this.onShard(shard).setPaused(paused)));
    return { paused, held: others.reduce((sum, s) => sum + (s?.held ?? 0), home.held) };
  }

  /** Attaches an observer at home (which owns the list) and copies the list to the other shards. */
  async attachObserver(target: ObserverTarget): Promise<Result<{ observer: Observer; created: boolean }>> {
    const result = await this.client.attachObserver(target);
    if (result.ok && result.created) await this.spreadObservers();
    return result;
  }

  /** Detaches an observer at home and from the other shards' copies; false when there was none. */
  async detachObserver(id: string): Promise<boolean> {
    const detached = await this.client.detachObserver(id);
    if (detached) await this.spreadObservers();
    return detached;
  }

  /** Fans an event out from one of the agent's shards (each holds the observers), so events spread like calls. */
  async emit(event: string, data: unknown, traceparent: string | null): Promise<Result<EmitResult>> {
    const shard = this.pickShard();
    const result = await this.object(shard).emit(event, data, traceparent);
    if (result.ok) this.learnShards(result, shard);
    return result;
  }

  /** The requests waiting for input on every shard (each keeps its own), oldest first, at most `limit`. */
  async waitingRequests(viewer: string | null, limit: number): Promise<Result<{ requests: RequestView[] }>> {
    const home = await this.client.waitingRequests(viewer, limit);
    const shards = home.ok ? await this.shardCount() : 1;
    if (!home.ok || shards <= 1) return home;
    const others = await Promise.all(this.others(shards).map((shard) => this.onShard(shard).waitingRequests(viewer, limit)));
    const requests = [home, ...others].flatMap((r) => (r.ok ? r.requests : []));
    requests.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    return { ok: true, requests: requests.slice(0, limit) };
  }

  /**
   * The entry and live status, `in_flight`, `held` and `scheduled` summed over every shard (the
   * pause, the schedules and the breaker are the home object's); null when there is no such agent.
   */
  async describe(): Promise<AgentDescription | null> {
    const described = await this.client.describe();
    if (!described || described.entry.shards <= 1) return described;
    const others = await Promise.all(this.others(described.entry.shards).map((shard) => this.peer(shard).shardStatus()));
    const sum = (field: keyof ShardStatus) => others.reduce((n, s) => n + (s?.[field] ?? 0), described.status[field]);
    return { ...described, status: { ...described.status, in_flight: sum("in_flight"), held: sum("held"), scheduled: sum("scheduled") } };
  }

  /**
   * Stores a configuration on every shard and returns the entry. Shards dropped by a smaller count
   * keep it until callers' shard hints expire, so calls already routed to them still succeed.
   */
  async configure(config: StoredConfig): Promise<AgentEntry> {
    const before = await this.client.describe();
    const entry = await this.client.configure(config);
    const spread = Math.max(entry.shards, before?.entry.shards ?? 1);
    await Promise.all(this.others(spread).map((shard) => this.onShard(shard).configure(config)));
    // A shard added now has not seen the handshakes the home object answered before.
    const peers = (before?.peers ?? []).filter((p) => p.direction === "inbound");
    if (peers.length > 0) await Promise.all(this.others(entry.shards).map((shard) => this.peer(shard).syncPeers(peers)));
    // A shard added by a larger count gets the observers and the pause too.
    if (entry.shards > (before?.entry.shards ?? 1)) {
      await this.spreadObservers(entry.shards);
      if (before?.status.paused) await Promise.all(this.others(entry.shards).map((shard) => this.onShard(shard).setPaused(true)));
    }
    return entry;
  }

  /** Removes the configuration from every shard; false when there was none. */
  async unconfigure(): Promise<boolean> {
    const before = await this.client.describe();
    if (!(await this.client.unconfigure())) return false;
    await Promise.all(this.others(before?.entry.shards ?? 1).map((shard) => this.onShard(shard).unconfigure()));
    return true;
  }

  /** The newest `limit` log rows, merged over the shards (each row then says its `shard`); null when there is no such agent. */
  async log(limit: number): Promise<Array<LoggedRow & { shard?: number }> | null> {
    const described = await this.client.describe();
    if (!described) return null;
    const { shards } = described.entry;
    const logs = await Promise.all(allShards(this.name, shards).map((_, shard) => this.onShard(shard).messageLog(limit)));
    const entries = logs.flatMap((rows, shard) => rows.map((row) => (shards > 1 ? { ...row, shard } : row)));
    entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : b.seq - a.seq));
    return entries.slice(0, limit);
  }

  /** The metrics report, merged over the shards; null when there is no such agent. */
  async metrics(): Promise<AgentMetricsReport | null> {
    const home = await this.client.metricsReport();
    if (!home) return null;
    const shards = await this.shardCount();
    if (shards <= 1) return home;
    const others = await Promise.all(this.others(shards).map((shard) => this.onShard(shard).metricsReport()));
    return mergeShardReports([home, ...others.filter((r): r is AgentMetricsReport => r !== null)]);
  }

  /** Copies the home object's observers to shards 1…n−1. */
  private async spreadObservers(shards?: number): Promise<void> {
    const count = shards ?? (await this.shardCount());
    if (count <= 1) return;
    const observers = (await this.client.listObservers()) ?? [];
    await Promise.all(this.others(count).map((shard) => this.peer(shard).observersSync(observers)));
  }

  /** How many shards the home object's entry says the agent has (1 when there is no such agent). */
  private async shardCount(): Promise<number> {
    return (await this.client.describe())?.entry.shards ?? 1;
  }

  private object(shard: number): AgentObject {
    return objectStub(this.env.AGENT, shardObjectName(this.name, shard));
  }

  /** Shards 1…n−1. */
  private others(shards: number): number[] {
    return Array.from({ length: Math.max(0, shards - 1) }, (_, k) => k + 1);
  }
}

export function agentRef(env: Pick<Env, "AGENT">, name: string): AgentRef {
  return new AgentRef(env, name);
}

/** The object that keeps stream `streamId` (its id names it, lib/streams/stream-id.ts); null when the id is not a stream's. */
export function streamObject(env: Pick<Env, "AGENT">, streamId: string): Remote<AgentClientApi> | null {
  const home = streamHome(streamId);
  return home ? agentRef(env, home.agent).onShard(home.shard) : null;
}

/**
 * Which of a sharded agent's shards must hold async request `submission`, or null when any may.
 * A flow-controlled agent's requests live on the shard their flow key value hashes to, so each
 * key's concurrency, rate and debounce are counted exactly, by one object; requests with no key
 * value (or an agent without `flow.key`) share the empty key, whose shard is home. Otherwise a
 * request with an idempotency key lives on the shard its sender-scoped key hashes to, so a retry
 * finds the first wherever it arrives. From a Worker's hint (`flow` not yet told): only the key.
 */
export function requestOwner(entry: { shards: number; flow?: FlowHint | undefined }, submission: Submission): number | null {
  if (entry.shards <= 1) return 0;
  if (entry.flow) {
    const value = flowKeyOf(submission.message, entry.flow.key);
    return value === "" ? 0 : keyShard(`flow:${value}`, entry.shards);
  }
  const key = submission.idempotency_key;
  return key ? keyShard(idempotencyScope(submission.message.from, key), entry.shards) : null;
}

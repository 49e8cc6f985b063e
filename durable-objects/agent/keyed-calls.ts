/**
 * Sync calls with an idempotency key (`POST /agents/:name/invoke` with `idempotency_key`), in the
 * object of the shard the sender-scoped key hashes to. The first call with a key runs through the
 * pipeline like any other; its reply is stored as a `replied` request under the key
 * (lib/protocols/request-store.ts: the key 24 h, the row 7 days), so a retry answers with that
 * reply and the handler does not run again. A retry that arrives while the first still runs here
 * waits for it. Only a reply is kept: a call that failed (or was cancelled) leaves the key free, so
 * its retry runs again, as a retry is meant to. A call that asks for input waits here as a request
 * under the key, and a retry answers with that request. The keys are the async messages' own: an
 * async message with the key answers with the same request, and a sync call whose key names an
 * async request still on its way, or one that failed, is a conflict. A call that reached a shard
 * other than its key's (its caller's shard count was stale) is passed on, and runs here too while it
 * runs there, so its caller's cancel, sent here, reaches it.
 *
 * A streaming call with a key follows the same rules: the first streams as any streaming call and
 * keeps its reply under the key when its stream ends; a retry, streaming or not, answers with that
 * reply (a streaming retry as a new stream: `start`, then the `reply`), and one that arrives while
 * the first still streams waits for its answer.
 */
import type { KeyedCall, KeyedInvokeResult, KeyedStreamStarted, StreamStarted } from "../../lib/agents/agent-api";
import type { Call, InvokeResult } from "../../lib/message/call";
import type { Envelope } from "../../lib/message/envelope";
import { type Failure, failure, type Result } from "../../lib/message/errors";
import { inputRequestOf } from "../../lib/message/input-required";
import { newRequestId } from "../../lib/message/ids";
import { idempotencyScope, type RequestStore, type RequestView, viewOf } from "../../lib/protocols/request-store";
import type { AgentEntry } from "../../lib/registry/entry";
import { keyShard } from "../../lib/registry/shards";
import { callRefusal } from "../../lib/security/acl";
import type { Parked } from "./input-waiting";
import type { StreamKeying } from "./streaming";

export interface KeyedCallsDeps {
  /** Which of the agent's shards this object is (0: home). */
  shard: number;
  requests: RequestStore;
  /** A call through the pipeline (Invocation.invoke). */
  invoke(entry: AgentEntry, call: Call): Promise<InvokeResult>;
  /** The same keyed call, at the shard that holds its key (this one does not). */
  forward(shard: number, call: Call, keyed: KeyedCall): Promise<KeyedInvokeResult>;
  /** A streaming call through the pipeline (Streaming.invoke). */
  stream(entry: AgentEntry, call: Call, keying: StreamKeying): Promise<StreamStarted>;
  /** A new stream telling an answer given before (Streaming.replay). */
  replayStream(call: Call, answer: KeyedInvokeResult & { ok: true }): StreamStarted;
  /** The same keyed streaming call, at the shard that holds its key. */
  forwardStream(shard: number, call: Call, keyed: KeyedCall): Promise<KeyedStreamStarted>;
  /** Stores a call that asked for input as a request waiting here (InputWaiting.park). */
  park(parked: Parked): Promise<Result<{ request: RequestView }>>;
  /** A call answered with an earlier call's answer: logged, as the message it is, without running the handler. */
  replayed(call: Call, detail: string): void;
}

export class KeyedCalls {
  /** Calls running here by sender-scoped key: a retry meanwhile waits for the first. */
  private readonly running = new Map<string, Promise<KeyedInvokeResult>>();

  constructor(private readonly deps: KeyedCallsDeps) {}

  /** A streaming call with a key: its own stream the first time, a stream of the kept answer on a retry. */
  stream(name: string, entry: AgentEntry | null, call: Call, keyed: KeyedCall): Promise<KeyedStreamStarted> {
    return this.atKeyShard(name, entry, call, keyed, {
      forward: (owner) => this.deps.forwardStream(owner, call, keyed),
      answer: (found, scope) => this.openStream(name, found, call, keyed, scope),
    });
  }

  async invoke(name: string, entry: AgentEntry | null, call: Call, keyed: KeyedCall): Promise<KeyedInvokeResult> {
    return this.atKeyShard(name, entry, call, keyed, {
      forward: (owner) => this.deps.forward(owner, call, keyed),
      answer: (found, scope) => this.answer(name, found, call, keyed, scope),
    });
  }

  /**
   * What every keyed call does before it answers: the agent must exist, a call whose key another
   * shard holds is passed on there, and the ACL as it is now decides, also for an answer kept from
   * before. Every answer tells a sharded agent's count, so the caller's next key goes straight to its shard.
   */
  private async atKeyShard<T extends { ok: boolean; shards?: number }>(
    name: string,
    entry: AgentEntry | null,
    call: Call,
    keyed: KeyedCall,
    go: { forward(owner: number): Promise<T>; answer(entry: AgentEntry, scope: string): Promise<T | Failure> },
  ): Promise<T | (Failure & { shards?: number })> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const scope = idempotencyScope(call.message.from, keyed.key);
    const owner = keyShard(scope, entry.shards);
    if (owner !== this.deps.shard) return go.forward(owner);
    const result = callRefusal(call.message.from, entry) ?? (await go.answer(entry, scope));
    return entry.shards > 1 ? { ...result, shards: entry.shards } : result;
  }

  private async openStream(name: string, entry: AgentEntry, call: Call, keyed: KeyedCall, scope: string): Promise<KeyedStreamStarted> {
    const claimed = await this.claim(name, scope, call);
    if (!("first" in claimed)) return claimed.ok ? { ...this.deps.replayStream(call, claimed), replayed: true } : claimed;
    let ended: (result: KeyedInvokeResult) => void = () => {};
    claimed.first(
      new Promise<KeyedInvokeResult>((resolve) => {
        ended = resolve;
      }),
    );
    try {
      return await this.deps.stream(entry, call, {
        park: (message, question) => this.deps.park({ message, question, timeout_ms: keyed.timeout_ms, idempotency_key: scope }),
        ended: (result) => {
          if (result.ok && !result.waiting) this.keep(name, call, scope, keyed.timeout_ms, result.reply);
          ended(result);
        },
      });
    } catch (error) {
      // No stream, so no end: the key is freed here, and the calls waiting for it run.
      ended(failure("agent_error", `the stream could not start: ${String(error)}`));
      throw error;
    }
  }

  private async answer(name: string, entry: AgentEntry, call: Call, keyed: KeyedCall, scope: string): Promise<KeyedInvokeResult> {
    const claimed = await this.claim(name, scope, call);
    if (!("first" in claimed)) return claimed;
    return claimed.first(this.run(name, entry, call, scope, keyed.timeout_ms));
  }

  /**
   * What a call with the key answers without running — the answer kept for it, or the answer of the
   * call with the key running here once it ends — or, when the key is free, the key itself: the
   * caller is the first call, and `first` takes the answer it is running. The key is taken before
   * this returns, so two calls can never both be first; a first call that failed frees it, and the
   * first retry to get here runs.
   */
  private async claim(
    name: string,
    scope: string,
    call: Call,
  ): Promise<KeyedInvokeResult | { first: (answer: Promise<KeyedInvokeResult>) => Promise<KeyedInvokeResult> }> {
    for (;;) {
      const kept = this.kept(name, scope, call);
      if (kept) return kept;
      const first = this.running.get(scope);
      if (!first) {
        let settle: (answer: Promise<KeyedInvokeResult>) => void = () => {};
        const slot = new Promise<KeyedInvokeResult>((resolve) => {
          settle = resolve;
        });
        this.running.set(scope, slot);
        // The key is freed before the calls waiting for it see the answer, so a failure lets one of them run.
        const free = () => {
          if (this.running.get(scope) === slot) this.running.delete(scope);
        };
        return {
          first: (answer) => {
            const freed = answer.finally(free);
            settle(freed);
            return freed;
          },
        };
      }
      const result = await first;
      if (result.ok) {
        this.deps.replayed(call, `answered as ${result.reply.metadata.in_reply_to ?? "the call"} with the same idempotency_key, which was running`);
        return { ...result, replayed: true };
      }
    }
  }

  /** The first call with the key: its reply, or the request it waits as, is what a retry answers with. */
  private async run(name: string, entry: AgentEntry, call: Call, scope: string, timeoutMs: number | null): Promise<KeyedInvokeResult> {
    const result = await this.deps.invoke(entry, call);
    if (!result.ok) return result;
    if (inputRequestOf(result.reply)) {
      const parked = await this.deps.park({ message: call.message, question: result.reply, timeout_ms: timeoutMs, idempotency_key: scope });
      return parked.ok ? { ...result, waiting: parked.request } : parked;
    }
    this.keep(name, call, scope, timeoutMs, result.reply);
    return result;
  }

  /** Keeps a first call's reply as a `replied` request under its key. */
  private keep(name: string, call: Call, scope: string, timeoutMs: number | null, reply: Envelope): void {
    const now = Date.now();
    this.deps.requests.create({
      request_id: newRequestId(name, now, this.deps.shard),
      message: call.message,
      reply_to: null,
      timeout_ms: timeoutMs,
      idempotency_key: scope,
      now,
      lease_until: null,
      reply,
    });
  }

  /** What an earlier call with the key left: its reply, the request it waits as, or a conflict with an async request of the key. */
  private kept(name: string, scope: string, call: Call): KeyedInvokeResult | null {
    const { requests } = this.deps;
    const requestId = requests.byIdempotencyKey(scope, Date.now());
    const row = requestId ? requests.get(requestId) : null;
    if (!requestId || !row) return null;
    if (row.status === "replied" && row.reply) {
      this.deps.replayed(call, `answered with the reply of ${requestId}, kept for its idempotency_key`);
      return { ok: true, reply: row.reply, replayed: true };
    }
    if (row.status === "input_required" && row.question) {
      this.deps.replayed(call, `answered with ${requestId}, which waits for input, kept for its idempotency_key`);
      return { ok: true, reply: row.question, replayed: true, waiting: viewOf(name, row) };
    }
    return failure("conflict", `idempotency_key already names request ${requestId} (status ${row.status}): see GET /requests/${requestId}`);
  }
}

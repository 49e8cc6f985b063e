/**
 * Calls: an incoming call runs through the pipeline (lib/agents/pipeline.ts) against this object's
 * breaker, pool and peers, and executes by agent kind; an outgoing call from the agent's handler
 * goes to the target's own object and is logged here as outbound. Every incoming call is registered
 * while it runs, so `cancel` can abort it; its outgoing calls carry its signal, so the cancel goes
 * on to them. A streaming call runs the same way with a `CallStream`: its handler produces into
 * it, and a chain forwards it as a stream, relaying the next agent's events.
 */
import type { KeyedCall, KeyedInvokeResult } from "../../lib/agents/agent-api";
import { agentRef } from "../../lib/agents/agent-ref";
import type { Call } from "../../lib/message/call";
import type { CodeAgents } from "../../lib/agents/define-agent";
import { RunningCalls } from "../../lib/agents/running-calls";
import { executeCall } from "../../lib/agents/execute";
import type { InvokeResult, Outcome } from "../../lib/message/call";
import { runPipeline } from "../../lib/agents/pipeline";
import { failure, type Result } from "../../lib/message/errors";
import { drainStream, failureOfProblem, readEvents } from "../../lib/streams/sse-read";
import { chunkOf, type StoredEvent } from "../../lib/streams/stream-event";
import type { StreamWriter } from "../../lib/streams/stream-writer";
import { maxReplyBytes } from "../../lib/protocols/bounded-body";
import type { PeerStore } from "../../lib/protocols/handshake";
import type { AgentEntry } from "../../lib/registry/entry";
import type { CallAbort } from "../../lib/resilience/call-abort";
import type { Pool } from "../../lib/resilience/pool";
import { outboundSecret } from "../../lib/security/agent-secrets";
import type { Batching } from "./batching";
import { callContext, type Outbound } from "./handler-context";
import type { Observability } from "./observability";
import type { ShardedBreaker } from "./sharding";

export interface InvocationDeps {
  env: Env;
  codeAgents: CodeAgents;
  pool: Pool;
  peers: PeerStore;
  breakers: ShardedBreaker;
  batching: Batching;
  observability: Observability;
  outbound: Outbound;
}

/** A streaming call's side of the pipeline: the writer its output goes to, and who waits for it to start. */
export interface CallStream {
  writer: StreamWriter;
  /** The call was admitted and its handler starts (or the next agent of a chain started). */
  started(): void;
}

export class Invocation {
  private readonly running = new RunningCalls();

  constructor(private readonly deps: InvocationDeps) {}

  /** Runs `incoming` for `entry` (null: no such agent) and answers with the reply or a failure; `stream` makes it a streaming call. */
  async invoke(entry: AgentEntry | null, incoming: Call, stream?: CallStream): Promise<InvokeResult> {
    const breaker = this.deps.breakers.active;
    if (!entry || !breaker) return failure("agent_not_found", `no agent named ${incoming.message.to}`);
    const running = this.running.begin(incoming.message.id);
    try {
      const result = await this.run(entry, breaker, incoming, running.abort, stream);
      return entry.shards > 1 ? { ...result, shards: entry.shards } : result;
    } finally {
      running.end();
    }
  }

  /**
   * A keyed call passed on to the shard that holds its key (./keyed-calls.ts): running here too
   * while it runs there, so a cancel its caller sends to this object reaches it.
   */
  async forwardKeyed(shard: number, call: Call, keyed: KeyedCall): Promise<KeyedInvokeResult> {
    const running = this.running.begin(call.message.id);
    try {
      return await agentRef(this.deps.env, call.message.to).invokeKeyed(call, keyed, { signal: running.abort.signal }, shard);
    } finally {
      running.end();
    }
  }

  /** Cancels the call running here under `messageId`; true when one was (lib/agents/running-calls.ts). */
  cancel(messageId: string, detail: string): boolean {
    return this.running.cancel(messageId, detail);
  }

  private run(
    entry: AgentEntry,
    breaker: NonNullable<ShardedBreaker["active"]>,
    incoming: Call,
    abort: CallAbort,
    stream: CallStream | undefined,
  ): Promise<InvokeResult> {
    const { env, breakers, observability } = this.deps;
    return runPipeline(incoming, {
      entry,
      breaker,
      pool: this.deps.pool,
      now: Date.now,
      abort,
      ...(stream ? { started: () => stream.started() } : {}),
      handshakeAccepted: (from) => this.deps.peers.accepted(from),
      forward: (next, forwarded, forwardSignal) => {
        const options = forwardSignal ? { signal: forwardSignal } : {};
        return stream ? this.forwardStream(next, forwarded, options, stream) : agentRef(env, next).invoke(forwarded, options);
      },
      execute: (c, signal) =>
        executeCall(entry, c, signal, {
          definition: this.deps.codeAgents.get(entry.name),
          context: (streamed) => callContext(env, entry, c, signal, this.deps.outbound, streamed),
          ...(stream ? { stream: stream.writer } : {}),
          dev: env.SWITCHBOARD_DEV === "1",
          signingSecret: outboundSecret(entry, env.SWITCHBOARD_SIGNING_SECRET),
          maxReplyBytes: maxReplyBytes(env.SWITCHBOARD_MAX_REPLY_BYTES),
          batch: (b, batchSignal) => this.deps.batching.submit(entry, b, batchSignal),
        }),
      breakerChanged: () => breakers.save(),
      // One row for the whole stream: its duration, and what it carried.
      record: (outcome) =>
        observability.record("in", stream ? { ...outcome, detail: [outcome.detail, stream.writer.summary()].filter(Boolean).join("; ") } : outcome),
      dropped: (call, detail) => observability.dropped(call, detail),
    });
  }

  /** A chain forward of a streaming call: the next agent's stream, its events relayed into this one. */
  private async forwardStream(next: string, forwarded: Call, options: { signal?: AbortSignal }, stream: CallStream): Promise<InvokeResult> {
    const opened = await agentRef(this.deps.env, next).invokeStream(forwarded, options);
    if (!opened.ok) return opened;
    return drainStream(
      opened.body,
      { start: () => stream.started(), delta: (delta) => stream.writer.delta(chunkOf(delta)), step: (step) => stream.writer.step(step) },
      next,
    );
  }

  /**
   * An outgoing streaming call from this agent's handler (`ctx.invokeStream`): the target's events
   * as they come, and one outbound row when its stream ends. `signal` (the handler's) cancels it,
   * as does leaving the events unread.
   */
  async streamOut(to: string, call: Call, signal?: AbortSignal): Promise<Result<{ events: AsyncIterable<StoredEvent> }>> {
    const start = Date.now();
    const controller = new AbortController();
    const abandon = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", abandon, { once: true });
    const opened = await agentRef(this.deps.env, to).invokeStream(call, { signal: controller.signal });
    const record = (outcome: Outcome["outcome"], detail?: string) => {
      signal?.removeEventListener("abort", abandon);
      this.deps.observability.record("out", { call, outcome, duration_ms: Date.now() - start, ...(detail ? { detail } : {}) });
    };
    if (!opened.ok) {
      record(opened.code, opened.detail);
      return opened;
    }
    const { body } = opened;
    async function* events(): AsyncGenerator<StoredEvent> {
      let outcome: Outcome["outcome"] = "cancelled";
      let detail: string | undefined = "the handler stopped reading the stream";
      try {
        for await (const event of readEvents(body)) {
          if (event.event === "reply") [outcome, detail] = ["ok", undefined];
          else if (event.event === "error") [outcome, detail] = [failureOfProblem(event.data).code, event.data.detail];
          yield event;
          if (event.event === "reply" || event.event === "error") return;
        }
        [outcome, detail] = ["agent_error", `the stream of ${to} ended before its reply`];
      } finally {
        // Read to the end, or left: either way the call is over, and a call left unread is cancelled.
        if (outcome === "cancelled") abandon();
        record(outcome, detail);
      }
    }
    return { ok: true, events: events() };
  }

  /** An outgoing call from this agent's handler, logged here as outbound; `signal` (the handler's) cancels it. */
  async callOut(to: string, call: Call, signal?: AbortSignal): Promise<InvokeResult> {
    const start = Date.now();
    const result = await agentRef(this.deps.env, to).invoke(call, signal ? { signal } : {});
    this.deps.observability.record("out", {
      call,
      outcome: result.ok ? "ok" : result.code,
      duration_ms: Date.now() - start,
      ...(result.ok ? {} : { detail: result.detail }),
    });
    return result;
  }
}

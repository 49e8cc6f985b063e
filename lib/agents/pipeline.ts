/**
 * What happens to every call that reaches an agent, whichever path it came by (HTTP invoke, async
 * delivery, chain, map-reduce, fan-out, ctx.invoke): loop and hop checks, ACL, handshake gate,
 * deadline, chain routing, circuit breaker, concurrency cap, the handler under the deadline, and one
 * log record. Pure orchestration: storage and transport are the Durable Object's ports.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { type Failure, failure, type Result, SwitchboardError, toFailure } from "../message/errors";
import { LIMITS } from "../message/limits";
import { chainRoute } from "../patterns/chain";
import type { AgentEntry } from "../registry/entry";
import type { BreakerPolicy } from "../resilience/breaker-replica";
import type { Pool } from "../resilience/pool";
import { mayCall } from "../security/acl";
import { type Call, makeEnvelope } from "./call";

export interface Outcome {
  call: Call;
  outcome: "ok" | "forwarded" | "sent" | Failure["code"];
  duration_ms: number;
  reply?: Envelope;
  detail?: string;
}

export interface PipelineDeps {
  entry: AgentEntry;
  breaker: BreakerPolicy;
  pool: Pool;
  now(): number;
  handshakeAccepted(from: string): boolean;
  forward(next: string, call: Call): Promise<Result<{ reply: Envelope }>>;
  execute(call: Call, signal: AbortSignal): Promise<{ content: unknown; metadata?: Metadata }>;
  /** The breaker's state changed and must be persisted. */
  breakerChanged(): void;
  record(outcome: Outcome): void;
}

/** `shards` tells the caller how many objects a sharded agent spreads over (absent when one). */
export type InvokeResult = Result<{ reply: Envelope }> & { shards?: number };

export async function runPipeline(call: Call, deps: PipelineDeps): Promise<InvokeResult> {
  const { entry } = deps;
  const start = deps.now();
  const from = call.message.from;
  const done = (result: InvokeResult): InvokeResult => {
    deps.record({
      call,
      outcome: result.ok ? "ok" : result.code,
      duration_ms: deps.now() - start,
      ...(result.ok ? { reply: result.reply } : { detail: result.detail }),
    });
    return result;
  };

  if (call.path.includes(entry.name)) {
    return done(failure("loop_detected", `loop: ${[...call.path, entry.name].join(" → ")} revisits ${entry.name}`));
  }
  if (call.path.length >= LIMITS.maxHops) {
    return done(failure("loop_detected", `hop limit of ${LIMITS.maxHops} passed: ${[...call.path, entry.name].join(" → ")}`));
  }
  if (!mayCall(from, entry)) return done(failure("forbidden", `agent ${from} may not call ${entry.name}`));
  if (entry.require_handshake && from !== null && !deps.handshakeAccepted(from)) {
    return done(failure("handshake_required", `${entry.name} requires an accepted handshake from ${from}; POST /agents/${entry.name}/handshake first`));
  }
  if (deps.now() >= call.deadline) return done(failure("timeout", `deadline passed before ${entry.name} was reached`));

  const route = chainRoute(entry, call.message.metadata.type);
  if (route.kind === "none") {
    return done(failure("no_handler", `no agent in the chain ending at ${entry.name} handles type "${String(call.message.metadata.type)}"`));
  }
  if (route.kind === "forward") {
    // Re-addressed to the next agent: its Durable Object loads the entry named by `message.to`.
    const forwarded: Call = { ...call, message: { ...call.message, to: route.next }, path: [...call.path, entry.name], pattern: "chain" };
    const result = await deps.forward(route.next, forwarded);
    deps.record({ call, outcome: result.ok ? "forwarded" : result.code, duration_ms: deps.now() - start, detail: `→ ${route.next}` });
    return result;
  }

  const admission = await deps.breaker.admit();
  deps.breakerChanged();
  if (!admission.ok) {
    return done(
      failure("circuit_open", `circuit for ${entry.name} is open; next probe in ${Math.ceil(admission.retryAfterMs / 1000)} s`, {
        retry_after: Math.max(1, Math.ceil(admission.retryAfterMs / 1000)),
        retry_after_ms: admission.retryAfterMs,
        open_breaker: entry.name,
      }),
    );
  }
  const release = await deps.pool.acquire(call.deadline - deps.now());
  if (!release) {
    deps.breaker.onNeutral(admission.probe);
    deps.breakerChanged();
    return done(
      failure("pool_saturated", `${entry.name} has ${entry.limits.max_concurrency} calls in flight and no slot freed before the deadline`, { retry_after: 1 }),
    );
  }

  let result: InvokeResult;
  try {
    const output = await withDeadline(call.deadline - deps.now(), entry.name, (signal) => deps.execute(call, signal));
    const duration = deps.now() - start;
    result = {
      ok: true,
      reply: makeEnvelope({
        from: entry.name,
        to: from ?? "admin",
        role: "reply",
        content: output.content,
        traceparent: call.message.trace.traceparent,
        metadata: {
          ...output.metadata,
          in_reply_to: (call.message.metadata.request_id as string | undefined) ?? call.message.id,
          handled_by: entry.name,
          path: [...call.path, entry.name],
          duration_ms: duration,
        },
      }),
    };
    deps.breaker.onSuccess(admission.probe);
  } catch (error) {
    result = toFailure(error);
    if (result.transient) deps.breaker.onFailure(admission.probe);
    else deps.breaker.onNeutral(admission.probe);
  } finally {
    release();
  }
  deps.breakerChanged();
  return done(result);
}

/** Runs `fn` with an AbortSignal that fires at the deadline; rejects with `timeout` then. */
export async function withDeadline<T>(ms: number, who: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (ms <= 0) throw new SwitchboardError("timeout", `deadline passed before ${who} ran`);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new SwitchboardError("timeout", `${who} did not answer within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

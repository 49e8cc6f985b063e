/**
 * What happens to every call that reaches an agent, whichever path it came by (HTTP invoke, async
 * delivery, chain, map-reduce, fan-out, ctx.invoke), in three steps: gates that refuse a call
 * outright (loop, hop limit, ACL, handshake, content its input_schema refuses, deadline already
 * passed), chain routing, then the handler under the resilience policies, outermost first: breaker,
 * concurrency cap, deadline. One log record per call. Pure orchestration: storage and transport are the Durable Object's ports.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { type Failure, failure, type Result, toFailure } from "../message/errors";
import { LIMITS } from "../message/limits";
import { chainRoute } from "../patterns/chain";
import type { AgentEntry } from "../registry/entry";
import { contentRefusal } from "../registry/input-schema";
import type { Breaker } from "../resilience/breaker-replica";
import { breakerPolicy } from "../resilience/breaker-policy";
import { bulkheadPolicy } from "../resilience/bulkhead-policy";
import { deadlinePolicy } from "../resilience/deadline-policy";
import type { CallAbort } from "../resilience/call-abort";
import { wrap } from "../resilience/policy";
import type { Pool } from "../resilience/pool";
import { callRefusal } from "../security/acl";
import { type Call, type InvokeResult, makeEnvelope, type Outcome } from "../message/call";
import { cancelledFailure } from "./cancellation";

/** What running a call produced; `route` names the agent that answered when it was not this one (a handoff). */
export interface ExecuteOutput {
  content: unknown;
  metadata?: Metadata;
  route?: { handled_by: string; path: string[] };
}

export interface PipelineDeps {
  entry: AgentEntry;
  breaker: Breaker;
  pool: Pool;
  now(): number;
  handshakeAccepted(from: string): boolean;
  /** Hands the call to the next agent of a chain; `signal` cancels it there. */
  forward(next: string, call: Call, signal?: AbortSignal): Promise<Result<{ reply: Envelope }>>;
  execute(call: Call, signal: AbortSignal): Promise<ExecuteOutput>;
  /** The call's abort: a cancel by the caller aborts it (lib/agents/running-calls.ts), and so does its deadline. */
  abort?: CallAbort;
  /** The call passed every gate and policy and its handler starts now (a stream's `start` event). */
  started?(): void;
  /** The breaker's state changed and must be persisted. */
  breakerChanged(): void;
  record(outcome: Outcome): void;
  /** The handler answered after the call had ended (cancelled, or timed out): its reply was dropped. */
  dropped?(call: Call, detail: string): void;
}

/** A check that refuses a call before anything runs; null lets it through. */
type Gate = (call: Call, deps: PipelineDeps) => Failure | null;

const trail = (call: Call, entry: AgentEntry) => [...call.path, entry.name].join(" → ");

const GATES: Gate[] = [
  (call, { entry }) => (call.path.includes(entry.name) ? failure("loop_detected", `loop: ${trail(call, entry)} revisits ${entry.name}`) : null),
  (call, { entry }) => (call.path.length >= LIMITS.maxHops ? failure("loop_detected", `hop limit of ${LIMITS.maxHops} passed: ${trail(call, entry)}`) : null),
  (call, { entry, handshakeAccepted }) => admissionRefusal(call.message, entry, handshakeAccepted),
  (call, { entry, now }) => (now() >= call.deadline ? failure("timeout", `deadline passed before ${entry.name} was reached`) : null),
  (_call, { abort }) => (abort?.signal.aborted ? cancelledFailure(abort.signal) : null),
];

/**
 * Whether `entry` takes `message` from its sender at all: the ACL, the handshake the agent may
 * require, and its `input_schema`. Every call's gates ask it, and so does `submit` before it stores
 * an async message, so both refuse in the same words.
 */
export function admissionRefusal(message: Pick<Envelope, "from" | "content">, entry: AgentEntry, handshakeAccepted: (from: string) => boolean): Failure | null {
  const { from } = message;
  const refused = callRefusal(from, entry);
  if (refused) return refused;
  if (entry.require_handshake && from !== null && !handshakeAccepted(from)) {
    return failure("handshake_required", `${entry.name} requires an accepted handshake from ${from}; POST /agents/${entry.name}/handshake first`);
  }
  return contentRefusal(message.content, entry);
}

/** The agent's own `limits.timeout_ms` bounds every call; a caller may only ask for less. */
export function agentDeadline(call: Call, entry: AgentEntry, now: number): number {
  return Math.min(call.deadline, now + entry.limits.timeout_ms);
}

export async function runPipeline(incoming: Call, deps: PipelineDeps): Promise<InvokeResult> {
  const { entry } = deps;
  const start = deps.now();
  const call: Call = { ...incoming, deadline: agentDeadline(incoming, entry, start) };
  const record = (result: InvokeResult, outcome: Outcome["outcome"] = result.ok ? "ok" : result.code, detail = result.ok ? undefined : result.detail) => {
    deps.record({
      call,
      outcome,
      duration_ms: deps.now() - start,
      ...(result.ok && outcome === "ok" ? { reply: result.reply } : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
    return result;
  };

  for (const gate of GATES) {
    const refused = gate(call, deps);
    if (refused) return record(refused);
  }

  const route = chainRoute(entry, call.message.metadata.type);
  if (route.kind === "none") {
    return record(failure("no_handler", `no agent in the chain ending at ${entry.name} handles type "${String(call.message.metadata.type)}"`));
  }
  if (route.kind === "forward") {
    // Re-addressed to the next agent: its Durable Object loads the entry named by `message.to`.
    const forwarded: Call = { ...call, message: { ...call.message, to: route.next }, path: [...call.path, entry.name], pattern: "chain" };
    const result = await deps.forward(route.next, forwarded, deps.abort?.signal);
    return record(result, result.ok ? "forwarded" : result.code, `→ ${route.next}`);
  }

  const policy = wrap(
    breakerPolicy(deps.breaker, { agent: entry.name, changed: () => deps.breakerChanged() }),
    bulkheadPolicy(deps.pool, { agent: entry.name, maxConcurrency: entry.limits.max_concurrency, deadline: call.deadline, now: deps.now }),
    deadlinePolicy(call.deadline, entry.name, {
      now: deps.now,
      onLate: (reason) => deps.dropped?.(call, `reply arrived after the call ${reason.code === "cancelled" ? "was cancelled" : "timed out"}; dropped`),
    }),
  );
  try {
    const output = await policy.execute(
      (signal) => {
        deps.started?.();
        return deps.execute(call, signal);
      },
      deps.abort ? { abort: deps.abort } : {},
    );
    return record({ ok: true, reply: replyEnvelope(call, entry, output, deps.now() - start) });
  } catch (error) {
    return record(toFailure(error));
  }
}

function replyEnvelope(call: Call, entry: AgentEntry, output: ExecuteOutput, duration: number): Envelope {
  return makeEnvelope({
    from: entry.name,
    to: call.message.from ?? "admin",
    role: "reply",
    content: output.content,
    traceparent: call.message.trace.traceparent,
    metadata: {
      ...output.metadata,
      in_reply_to: (call.message.metadata.request_id as string | undefined) ?? call.message.id,
      // A handoff's target answered for this agent: its name and route, as a chain reports them.
      handled_by: output.route?.handled_by ?? entry.name,
      path: output.route?.path ?? [...call.path, entry.name],
      duration_ms: duration,
    },
  });
}

/**
 * A call: one message on its way into an agent's Durable Object, with everything the pipeline
 * needs to enforce deadline, loops and access. It crosses RPC as plain data.
 */
import type { Envelope, Metadata, Role } from "./envelope";
import type { Failure, Result } from "./errors";
import type { InputTurn } from "./input-required";
import { newId } from "./ids";
import { LIMITS } from "./limits";
import { childTraceparent } from "./trace";

export type Pattern =
  | "invoke"
  | "async"
  | "chain"
  | "ctx.invoke"
  | "ctx.invokeStream"
  | "tool"
  | "handoff"
  | "map-reduce"
  | "fanout"
  | "reply"
  | "a2a"
  | "webhook"
  | "batch"
  | "handshake"
  | "mcp";

export interface Call {
  message: Envelope;
  /** Epoch ms after which the call has failed with `timeout`: set once where the call enters (deadlineAfter), only ever shortened after. */
  deadline: number;
  /** Agents this message already passed through, oldest first. */
  path: string[];
  pattern: Pattern;
  /**
   * Questions this call's handler asked before and their answers, oldest first: set only when a
   * request that waited for input resumes (lib/protocols/input-required.ts), never by a caller.
   */
  input?: InputTurn[];
}

export function makeEnvelope(init: {
  from: string | null;
  to: string;
  role: Role;
  content: unknown;
  metadata?: Metadata;
  traceparent?: string | null;
  id?: string;
  now?: number;
}): Envelope {
  return {
    id: init.id ?? newId("msg", init.now),
    from: init.from,
    to: init.to,
    role: init.role,
    content: init.content,
    metadata: init.metadata ?? {},
    created_at: new Date(init.now ?? Date.now()).toISOString(),
    trace: { traceparent: childTraceparent(init.traceparent) },
  };
}

/**
 * The deadline of a call entering now: `timeoutMs` from now, or, when the caller set none, the
 * longest any agent allows (`LIMITS.maxTimeoutMs`), which the agent's own `limits.timeout_ms` then
 * shortens in its pipeline (agentDeadline). Computed once where a call enters: an HTTP route, a
 * queue delivery, a webhook.
 */
export function deadlineAfter(timeoutMs: number | null | undefined, now = Date.now()): number {
  return now + Math.min(timeoutMs ?? LIMITS.maxTimeoutMs, LIMITS.maxTimeoutMs);
}

/** Milliseconds left before the call's deadline (never negative). */
export function remaining(call: Pick<Call, "deadline">, now = Date.now()): number {
  return Math.max(0, call.deadline - now);
}

/** `shards` tells the caller how many objects a sharded agent spreads over (absent when one). */
export type InvokeResult = Result<{ reply: Envelope }> & { shards?: number };

/** What became of one call, as the agent that handled (or sent) it logs it. */
export interface Outcome {
  call: Call;
  outcome: "ok" | "forwarded" | "sent" | Failure["code"];
  duration_ms: number;
  reply?: Envelope;
  detail?: string;
}

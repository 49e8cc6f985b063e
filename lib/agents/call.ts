/**
 * A call: one message on its way into an agent's Durable Object, with everything the pipeline
 * needs to enforce deadline, loops and access. It crosses RPC as plain data.
 */
import type { Envelope, Metadata, Role } from "../message/envelope";
import { newId } from "../message/ids";
import { childTraceparent } from "../observability/trace";

export type Pattern = "invoke" | "async" | "chain" | "ctx.invoke" | "map-reduce" | "fanout" | "reply" | "a2a" | "webhook" | "batch" | "handshake";

export interface Call {
  message: Envelope;
  /** Epoch ms after which the call has failed with `timeout`. */
  deadline: number;
  /** Agents this message already passed through, oldest first. */
  path: string[];
  pattern: Pattern;
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

/** Milliseconds left before the call's deadline (never negative). */
export function remaining(call: Pick<Call, "deadline">, now = Date.now()): number {
  return Math.max(0, call.deadline - now);
}

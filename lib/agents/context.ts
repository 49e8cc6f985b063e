/**
 * The `ctx` a code agent's handler receives. Everything it can do to other agents goes through
 * ports the Durable Object supplies, so each call passes the target's own pipeline (ACL, breaker,
 * concurrency cap, deadline, log) exactly like an HTTP call would.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { type Result, SwitchboardError } from "../message/errors";
import { LIMITS } from "../message/limits";
import { type ModelClient, modelClient } from "../model/run-model";
import { type Call, makeEnvelope, type Pattern } from "./call";

export interface InvokeOptions {
  metadata?: Metadata;
  /** At most the caller's own remaining time. */
  timeout_ms?: number;
}

export interface ContextPorts {
  callAgent(to: string, call: Call): Promise<Result<{ reply: Envelope }>>;
}

export interface AgentContext {
  /** This agent's name. */
  readonly self: string;
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
  /** Epoch ms by which this invocation must answer. */
  readonly deadline: number;
  /** Worker bindings and vars, for secrets an agent needs. */
  readonly env: Readonly<Record<string, unknown>>;
  /** Calls another agent and waits for its reply; throws SwitchboardError (e.g. code "timeout"). */
  invoke(to: string, content: unknown, options?: InvokeOptions): Promise<Envelope>;
  /** The agent's model (its `model` config, or the offline local model): `ctx.model.run(messages, options)`. */
  readonly model: ModelClient;
}

export interface ContextInit {
  self: string;
  message: Envelope;
  call: Call;
  signal: AbortSignal;
  env: Record<string, unknown>;
  ports: ContextPorts;
  /** Defaults to the local model with no bindings. */
  model?: ModelClient;
}

/** The Call a handler's outgoing `ctx.invoke` makes: from this agent, deadline shrunk, path grown. */
export function outgoingCall(
  init: Pick<ContextInit, "self" | "message" | "call">,
  to: string,
  content: unknown,
  options: InvokeOptions,
  pattern: Pattern,
  now = Date.now(),
): Call {
  const own = init.call.deadline;
  const wanted = options.timeout_ms !== undefined ? now + Math.min(options.timeout_ms, LIMITS.maxTimeoutMs) : own;
  return {
    message: makeEnvelope({
      from: init.self,
      to,
      role: "agent_call",
      content,
      metadata: options.metadata ?? {},
      traceparent: init.message.trace.traceparent,
      now,
    }),
    deadline: Math.min(own, wanted),
    path: [...init.call.path, init.self],
    pattern,
  };
}

export function createContext(init: ContextInit): AgentContext {
  return {
    self: init.self,
    signal: init.signal,
    deadline: init.call.deadline,
    env: init.env,
    model: init.model ?? modelClient(undefined, { bindings: {}, dev: false }, init.signal),
    async invoke(to, content, options = {}) {
      const result = await init.ports.callAgent(to, outgoingCall(init, to, content, options, "ctx.invoke"));
      if (!result.ok) throw new SwitchboardError(result.code, result.detail, { retryAfter: result.retry_after, transient: result.transient });
      return result.reply;
    },
  };
}

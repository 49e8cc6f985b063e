/**
 * The `ctx` a handler runs with, wired to this object's outbound paths (calls, requests, handshakes,
 * events, and a model's tool calls). A model agent runs on it too, so its tool calls are its calls.
 * One builder for both places a handler runs: a call, and `onReply` for a reply no pending request
 * was waiting for.
 */
import type { Submission } from "../../lib/agents/agent-api";
import type { Call } from "../../lib/message/call";
import { type AgentContext, type ContextPorts, createContext } from "../../lib/agents/context";
import type { InvokeResult } from "../../lib/message/call";
import type { Envelope } from "../../lib/message/envelope";
import { type Result, SwitchboardError } from "../../lib/message/errors";
import type { ModelEnv } from "../../lib/model/providers";
import type { Step, ToolDescription } from "../../lib/model/agent-tools";
import { maxReplyBytes } from "../../lib/protocols/bounded-body";
import type { EmitResult } from "../../lib/patterns/observer";
import type { HandshakeResult } from "../../lib/protocols/handshake";
import type { AgentEntry } from "../../lib/registry/entry";
import type { StoredEvent } from "../../lib/streams/stream-event";
import type { StreamedReply } from "../../lib/streams/stream-sink";

/** What a handler's ctx reaches other agents through; each path logs and persists in this object. */
export interface Outbound {
  /** `signal` is the calling handler's: when it aborts, the call is cancelled at the target. */
  call(to: string, call: Call, signal?: AbortSignal): Promise<InvokeResult>;
  /** A streaming call (`ctx.invokeStream`): the target's events as they come; `signal` cancels it. */
  stream(to: string, call: Call, signal?: AbortSignal): Promise<Result<{ events: AsyncIterable<StoredEvent> }>>;
  request(to: string, submission: Submission, deadline: number): Promise<Result<{ reply: Envelope }>>;
  handshake(self: AgentEntry, to: string): Promise<Result<{ result: HandshakeResult }>>;
  emit(event: string, data: unknown, traceparent: string | null, path: string[]): Promise<Result<EmitResult>>;
  /** What a model tool is described by: another agent's entry, or an MCP agent's tool (cached, lib/model/tool-catalog.ts). */
  describe(ref: string): Promise<ToolDescription | null>;
  /** A tool call or handoff of this agent's model finished. */
  toolStep(step: Step): void;
}

/** The bindings and dev switch model providers read. */
export function modelEnv(env: Env): ModelEnv {
  return {
    bindings: env as unknown as Record<string, unknown>,
    dev: env.SWITCHBOARD_DEV === "1",
    maxReplyBytes: maxReplyBytes(env.SWITCHBOARD_MAX_REPLY_BYTES),
  };
}

function basePorts(entry: AgentEntry, out: Outbound, signal?: AbortSignal): ContextPorts {
  return {
    callAgent: (to, call) => out.call(to, call, signal),
    streamAgent: (to, call) => out.stream(to, call, signal),
    request: (to, submission, deadline) => out.request(to, submission, deadline),
    handshake: (to) => out.handshake(entry, to),
    describeAgent: (ref) => out.describe(ref),
    toolStep: (step) => out.toolStep(step),
  };
}

/** The ctx of a handler running `call` for `entry`: with ctx.notify and the agent's own model. */
export function callContext(env: Env, entry: AgentEntry, call: Call, signal: AbortSignal, out: Outbound, stream?: StreamedReply): AgentContext {
  const ports: ContextPorts = {
    ...basePorts(entry, out, signal),
    notify: async (event, data, origin) => {
      const emitted = await out.emit(event, data, origin.traceparent, origin.path);
      if (!emitted.ok) throw new SwitchboardError(emitted.code, emitted.detail);
      return { event_id: emitted.event_id, observers: emitted.observers };
    },
  };
  return createContext({
    self: entry.name,
    message: call.message,
    call,
    signal,
    env: env as unknown as Record<string, unknown>,
    ports,
    model: { config: entry.model, env: modelEnv(env) },
    ...(stream ? { stream } : {}),
  });
}

/** The ctx of `onReply`: it runs outside any call, so there is no ctx.notify and no deadline signal. */
export function replyContext(env: Env, entry: AgentEntry, call: Call, out: Outbound): AgentContext {
  return createContext({
    self: entry.name,
    message: call.message,
    call,
    signal: new AbortController().signal,
    env: env as unknown as Record<string, unknown>,
    ports: basePorts(entry, out),
  });
}

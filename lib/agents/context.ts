/**
 * The `ctx` a code agent's handler receives. Everything it can do to other agents goes through
 * ports the Durable Object supplies, so each call passes the target's own pipeline (ACL, breaker,
 * concurrency cap, deadline, log) exactly like an HTTP call would.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { failure, type Result, SwitchboardError, toFailure } from "../message/errors";
import { LIMITS } from "../message/limits";
import { type MapReduceAnswer, mapReduce } from "../patterns/map-reduce";
import { MapReduceBody } from "../patterns/map-reduce-schema";
import type { EmitResult } from "../patterns/observer";
import type { Step, ToolDescription, ToolPorts } from "../model/agent-tools";
import type { ModelEnv } from "../model/providers";
import { type ModelClient, modelClient } from "../model/run-model";
import type { ModelConfig } from "../registry/entry";
import type { HandshakeResult } from "../protocols/handshake";
import { type AgentStream, agentStream } from "../streams/agent-stream";
import type { StoredEvent } from "../streams/stream-event";
import type { StreamedReply } from "../streams/stream-sink";
import { type Call, makeEnvelope, type Pattern } from "../message/call";
import type { InputTurn } from "../message/input-required";
import type { InputRequest } from "../message/input-required";
import { needInput, type NeedInput } from "./need-input";

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new SwitchboardError(result.code, result.detail, { retryAfter: result.retry_after, transient: result.transient });
  return result;
}

export interface InvokeOptions {
  metadata?: Metadata;
  /** At most the caller's own remaining time. */
  timeout_ms?: number;
}

export interface ContextPorts {
  callAgent(to: string, call: Call): Promise<Result<{ reply: Envelope }>>;
  /** A streaming call to another agent: its events as they come (the Durable Object logs the call when it ends). */
  streamAgent?(to: string, call: Call): Promise<Result<{ events: AsyncIterable<StoredEvent> }>>;
  /** Fans an event of this agent out to its observers (the Durable Object enqueues it). */
  notify?(event: string, data: unknown, origin: { traceparent: string; path: string[] }): Promise<EmitResult>;
  /** Submits an async request with reply_to = this agent and waits for the reply until `deadline`. */
  request(to: string, submission: { message: Envelope; reply_to: string; timeout_ms: number | null }, deadline: number): Promise<Result<{ reply: Envelope }>>;
  handshake(to: string): Promise<Result<{ result: HandshakeResult }>>;
  /** What a tool ref (an agent, or `"<mcp agent>/<tool>"`) is described by; without it the model has no tools. */
  describeAgent?(ref: string): Promise<ToolDescription | null>;
  /** Every tool call and handoff of this agent's model, as it finishes (metrics count the refused ones). */
  toolStep?(step: Step): void;
}

export interface RequestOptions {
  /** How long to wait for the reply. @default the caller's remaining time */
  timeout_ms?: number;
  metadata?: Metadata;
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
  /**
   * Calls another agent and streams its reply: an async iterable of the chunks it streams (strings
   * for text), with its reply envelope as `.reply`; the iteration throws what the call failed
   * with. Relay it with `for await (const chunk of ctx.invokeStream(to, content)) ctx.stream.write(chunk)`.
   */
  invokeStream(to: string, content: unknown, options?: InvokeOptions): AgentStream;
  /**
   * This call's own stream. `write(chunk)` sends a chunk (a string is text, anything else a JSON
   * value) to a caller that streams; a handler that returns nothing answers with what it wrote, so
   * the reply is the same for a caller that does not stream. `streaming` says whether one does.
   */
  readonly stream: { write(chunk: unknown): void; readonly streaming: boolean };
  /** The agent's model (its `model` config, or the offline local model): `ctx.model.run(messages, options)`. */
  readonly model: ModelClient;
  /**
   * Request-reply over the queue (seed: RequestReplyProtocol.send_request): sends `payload` with
   * `metadata.request_type`, records the pending reply durably with its deadline, and resolves with
   * the reply envelope, or throws SwitchboardError "timeout".
   */
  request(to: string, requestType: string, payload: unknown, options?: RequestOptions): Promise<Envelope>;
  /** Offers this agent's version and capabilities to `to`; resolves with the outcome (accepted or rejected). */
  handshake(to: string): Promise<HandshakeResult>;
  /**
   * Map-reduce from agent code, as `POST /patterns/map-reduce` (same body). Mappers run in parallel,
   * each through its own pipeline; throws SwitchboardError when too few mappers succeed or the
   * reducer fails.
   */
  mapReduce(spec: MapReduceBody): Promise<MapReduceAnswer>;
  /** Tells this agent's observers that `event` happened; returns once the fan-out is enqueued. */
  notify(event: string, data?: unknown): Promise<EmitResult>;
  /**
   * Stops and asks the caller: `return ctx.needInput({ question, schema? })`. The call waits,
   * durably, until someone answers (`POST /requests/:id/input`, or an A2A follow-up message); then
   * this handler runs again on the same message with the answer last in `ctx.input`.
   */
  needInput(request: InputRequest): NeedInput;
  /** The questions this call asked before and their answers, oldest first; empty on the first run. */
  readonly input: readonly InputTurn[];
}

export interface ContextInit {
  self: string;
  message: Envelope;
  call: Call;
  signal: AbortSignal;
  env: Record<string, unknown>;
  ports: ContextPorts;
  /** The agent's model config (default: the local model) and the bindings providers read (default: none). */
  model?: { config: ModelConfig | undefined; env: ModelEnv };
  /** This call's stream (a plain call's only keeps what is written, for the reply); none outside a call. */
  stream?: StreamedReply;
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

/**
 * How this handler's model reaches other agents: a tool call is the Call `ctx.invoke` would make
 * (from this agent, the remaining deadline, the path grown), with its own pattern in logs and traces.
 */
function toolPorts(init: ContextInit): ToolPorts | undefined {
  const { describeAgent } = init.ports;
  if (!describeAgent) return undefined;
  return {
    describe: (ref) => describeAgent(ref),
    async call(to, content, options) {
      const call = outgoingCall(init, to, content, options.metadata ? { metadata: options.metadata } : {}, options.pattern);
      if (options.signal?.aborted) return { message_id: call.message.id, result: toFailure(options.signal.reason) };
      // A handoff's answer is the answer: a caller that streams gets it as the target streams it.
      const { streamAgent } = init.ports;
      if (options.pattern === "handoff" && init.stream?.streaming && streamAgent)
        return { message_id: call.message.id, result: await relay(agentStream(streamAgent(to, call), to), init.stream) };
      return { message_id: call.message.id, result: await init.ports.callAgent(to, call) };
    },
  };
}

/** A sub-agent's stream written into this call's, and its outcome as a result. */
async function relay(sub: AgentStream, into: StreamedReply): Promise<Result<{ reply: Envelope }>> {
  try {
    for await (const chunk of sub) into.delta(chunk);
    return { ok: true, reply: await sub.reply };
  } catch (error) {
    return toFailure(error);
  }
}

/** The handler's model; each of its tool calls and handoffs is also a `step` of this call's stream. */
function contextModel(init: ContextInit): ModelClient {
  const client = modelClient(init.model?.config, init.model?.env ?? { bindings: {}, dev: false }, init.signal, toolPorts(init));
  const { toolStep } = init.ports;
  const { stream } = init;
  if (!toolStep && !stream) return client;
  return {
    run: (messages, options = {}) =>
      client.run(messages, {
        ...options,
        onStep: (step) => {
          toolStep?.(step);
          stream?.step({ ...step });
          options.onStep?.(step);
        },
      }),
  };
}

export function createContext(init: ContextInit): AgentContext {
  return {
    self: init.self,
    signal: init.signal,
    deadline: init.call.deadline,
    env: init.env,
    model: contextModel(init),
    async invoke(to, content, options = {}) {
      return unwrap(await init.ports.callAgent(to, outgoingCall(init, to, content, options, "ctx.invoke"))).reply;
    },
    invokeStream(to, content, options = {}) {
      const { streamAgent } = init.ports;
      const call = outgoingCall(init, to, content, options, "ctx.invokeStream");
      const opened = streamAgent
        ? streamAgent(to, call)
        : Promise.resolve(failure("agent_error", "ctx.invokeStream is not available here", { transient: false }));
      return agentStream(opened, to);
    },
    stream: {
      write: (chunk) => init.stream?.delta(chunk),
      get streaming() {
        return init.stream?.streaming ?? false;
      },
    },
    async request(to, requestType, payload, options = {}) {
      const metadata = { ...options.metadata, request_type: requestType, reply_to: init.self };
      const call = outgoingCall(init, to, payload, { metadata, ...(options.timeout_ms !== undefined ? { timeout_ms: options.timeout_ms } : {}) }, "async");
      const submission = { message: call.message, reply_to: init.self, timeout_ms: null };
      return unwrap(await init.ports.request(to, submission, call.deadline)).reply;
    },
    async handshake(to) {
      return unwrap(await init.ports.handshake(to)).result;
    },
    async mapReduce(spec) {
      const parsed = MapReduceBody.safeParse(spec);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SwitchboardError("invalid_request", `ctx.mapReduce: ${issue?.path.join(".") || "spec"}: ${issue?.message}`);
      }
      const { timeout_ms, ...body } = parsed.data;
      const deadline = timeout_ms !== undefined ? Math.min(init.call.deadline, Date.now() + timeout_ms) : init.call.deadline;
      const origin = { from: init.self, deadline, path: [...init.call.path, init.self], traceparent: init.message.trace.traceparent };
      const outcome = await mapReduce(body, origin, (to, call) => init.ports.callAgent(to, call));
      if (!outcome.ok) throw new SwitchboardError(outcome.code, outcome.detail, { retryAfter: outcome.retry_after, transient: outcome.transient });
      return { result: outcome.result, map_results: outcome.map_results, chunks: outcome.chunks };
    },
    input: init.call.input ?? [],
    needInput,
    async notify(event, data = null) {
      if (!init.ports.notify) throw new SwitchboardError("agent_error", "ctx.notify is not available here", { transient: false });
      return init.ports.notify(event, data, { traceparent: init.message.trace.traceparent, path: init.call.path });
    },
  };
}

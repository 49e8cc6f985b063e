/**
 * Runs one call against an agent by its kind: a code agent's handler, a remote HTTP agent, a model
 * agent (lib/model, batched when it has `batch` config), a remote A2A agent, or a tool of a remote
 * MCP server. The pipeline wraps this with breaker, cap and deadline. A streaming call hands each
 * kind its stream to produce into.
 */
import type { Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import { runModelAgent } from "../model/model-agent";
import { callA2aAgent } from "../protocols/remote-a2a";
import { DEFAULT_MAX_REPLY_BYTES } from "../protocols/bounded-body";
import { callHttpAgent } from "../protocols/remote-http";
import { mcpHeaders } from "../protocols/mcp-headers";
import { callMcpTool, mcpCallOf } from "../protocols/remote-mcp";
import { withInputHistory } from "../message/input-required";
import type { AgentEntry } from "../registry/entry";
import { type StreamSink, StreamedReply } from "../streams/stream-sink";
import { type Call, remaining } from "../message/call";
import type { ExecuteOutput } from "./pipeline";
import type { AgentContext } from "./context";
import { type AgentDefinition, handlerOutput } from "./define-agent";

export interface ExecuteRuntime {
  definition: AgentDefinition | undefined;
  /** The handler's ctx, writing to `stream`. */
  context: (stream: StreamedReply) => AgentContext;
  /** Where a streaming call's chunks and steps go (its stream); absent for a plain call. */
  stream?: StreamSink;
  dev: boolean;
  signingSecret: string | undefined;
  /** Largest remote reply read, in bytes (SWITCHBOARD_MAX_REPLY_BYTES). */
  maxReplyBytes?: number;
  /** Runs a call through the agent's batch buffer (agents with `batch` config). */
  batch?: (call: Call, signal: AbortSignal) => Promise<{ content: unknown; metadata?: Metadata }>;
}

export async function executeCall(entry: AgentEntry, call: Call, signal: AbortSignal, runtime: ExecuteRuntime): Promise<ExecuteOutput> {
  const streamed = new StreamedReply(runtime.stream);
  switch (entry.kind) {
    case "code": {
      if (!runtime.definition) throw new SwitchboardError("agent_not_found", `code agent ${entry.name} is not deployed`);
      // Events (observer fan-out) go to onEvent when the agent has one, else to its handler.
      const { handle, onEvent } = runtime.definition;
      const run = call.message.role === "event" && onEvent ? onEvent : handle;
      if (!run) throw new SwitchboardError("agent_error", `${entry.name} has no handler`, { transient: false });
      return handlerOutput(await run.call(runtime.definition, call.message, runtime.context(streamed)), streamed, signal);
    }
    case "http":
      return callHttpAgent(entry.url as string, withInputHistory(call.message, call.input), {
        signal,
        dev: runtime.dev,
        secret: runtime.signingSecret,
        maxBytes: runtime.maxReplyBytes,
        ...(streamed.streaming ? { stream: streamed } : {}),
      });
    case "model":
      if (entry.batch && runtime.batch && !call.input?.length) return runtime.batch(call, signal);
      return runModelAgent(entry, runtime.context(streamed).model, call.message, {
        input: call.input ?? [],
        ...(streamed.streaming ? { onDelta: (text: string) => streamed.delta(text) } : {}),
      });
    case "a2a":
      if (!entry.a2a) throw new SwitchboardError("agent_error", `A2A agent ${entry.name} has no resolved card; PUT it again`, { transient: false });
      return callA2aAgent(entry.a2a, call.message, {
        signal,
        dev: runtime.dev,
        maxBytes: runtime.maxReplyBytes,
        ...(streamed.streaming ? { stream: streamed } : {}),
      });
    case "mcp": {
      if (!entry.mcp || !entry.url) throw new SwitchboardError("agent_error", `MCP agent ${entry.name} has no tool list; PUT it again`, { transient: false });
      const { tool, args } = mcpCallOf(entry.name, entry.mcp, call.message.content);
      // A secret removed since the PUT is the agent's misconfiguration, not the caller's input.
      const secret = mcpHeaders(entry.headers_secret, runtime.context(streamed).env);
      if (!secret.ok) throw new SwitchboardError("agent_error", secret.detail, { transient: false });
      return callMcpTool(entry.url, `MCP agent ${entry.name}`, tool, args, {
        dev: runtime.dev,
        headers: { ...secret.headers, traceparent: call.message.trace.traceparent },
        maxBytes: runtime.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES,
        signal,
        timeoutMs: Math.max(1, remaining(call)),
      });
    }
    default:
      throw new SwitchboardError("agent_error", `agents of kind "${entry.kind}" are not supported yet`, { transient: false });
  }
}

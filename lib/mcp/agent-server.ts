/**
 * Switchboard as an MCP server (`POST /mcp`, `POST /mcp/:name`): the SDK's low-level `Server`
 * and its Web-standard Streamable HTTP transport, one pair per HTTP request (stateless, which is
 * how Workers scale: any isolate answers any request). `tools/list` is the agents this caller may
 * invoke, read from the registry at each request, so registrations and removals show at once;
 * `tools/call` is one invocation through the agent's own pipeline, from the caller's principal.
 *
 * Progress: a `tools/call` with a `progressToken` is made as a streaming call, and each delta the
 * agent streams is a `notifications/progress` in the answer's SSE stream, before the result.
 *
 * Cancelling: a client that disconnects cancels its call (`signal`); a `notifications/cancelled`
 * reaches the call through the session's cancel board (./cancel-board.ts), since it arrives in a
 * request of its own, often in another isolate.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  CancelledNotificationSchema,
  ErrorCode,
  isInitializeRequest,
  ListToolsRequestSchema,
  McpError,
  type ProgressToken,
  type RequestId,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { type Call, deadlineAfter, type InvokeResult, makeEnvelope } from "../message/call";
import type { Result } from "../message/errors";
import type { AgentEntry } from "../registry/entry";
import { checkAgainst, toolArguments } from "../registry/input-schema";
import { drainStream } from "../streams/sse-read";
import { chunkOf, type DeltaData } from "../streams/stream-event";
import { failureResult, inputSchemaOf, replyResult, toolsPage } from "./agent-tools";

export const SERVER_INFO = { name: "switchboard", version: "1.0.0" };

/** The session's cancel board, as the session's object answers for it (durable-objects/mcp-session-do.ts). */
export interface CancelPorts {
  watch(requestId: string): Promise<string | null>;
  cancel(requestId: string, reason: string): Promise<unknown>;
  release(requestId: string): Promise<unknown>;
}

export interface McpServePorts {
  /** Every agent this caller may invoke here (all of them on `/mcp`, one on `/mcp/:name`). */
  agents(): Promise<AgentEntry[]>;
  /** Agent `name` when this caller may invoke it here, else null. */
  agent(name: string): Promise<AgentEntry | null>;
  /** One call through the agent's pipeline; `signal` cancels it where it runs. */
  invoke(call: Call, signal: AbortSignal): Promise<InvokeResult>;
  /** The same call, streamed (docs/streaming.md): the SSE body of its events once it started. */
  invokeStream(call: Call, signal: AbortSignal): Promise<Result<{ body: ReadableStream<Uint8Array> }>>;
  /** Present when the request belongs to a session. */
  cancels?: CancelPorts;
  /** Work that must finish after the answer (a cancel, a release). */
  waitUntil(promise: Promise<unknown>): void;
}

export interface McpServeOptions {
  /** The caller's agent name; null for admin. */
  from: string | null;
  traceparent: string;
  /** Request body limit; the transport answers 413 past it. */
  maxBodyBytes: number;
  /** Aborted when the HTTP client goes away. */
  signal: AbortSignal;
}

export interface McpServed {
  response: Response;
  /** Whether the request was `initialize` (the caller then adds the session id). */
  initialize: boolean;
}

/** The board's key for a JSON-RPC request id: ids are strings or numbers, and 1 is not "1". */
export function requestKey(id: RequestId): string {
  return JSON.stringify(id);
}

export async function serveMcp(request: Request, ports: McpServePorts, options: McpServeOptions): Promise<McpServed> {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    // The SDK's default validator compiles schemas with `new Function`, which Workers forbid.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    instructions: "Each tool is a Switchboard agent: calling it invokes the agent through its ACL, breaker, concurrency cap, deadline and log.",
  });

  server.setRequestHandler(ListToolsRequestSchema, async (req) => toolsPage(await ports.agents(), req.params?.cursor));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const entry = await ports.agent(req.params.name);
    // A hidden agent and a missing one look the same: the caller learns nothing it may not call.
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
    const args = req.params.arguments ?? {};
    const shape = toolArguments(inputSchemaOf(entry));
    const check = checkAgainst(shape.parameters, args);
    if (!check.ok) return failureResult({ code: "invalid_request", detail: `arguments ${check.detail}` });
    const token = req.params._meta?.progressToken;
    // A client that asked for progress gets the agent's stream: each delta a progress notification.
    const progress = token === undefined ? undefined : progressSender(token, extra.sendNotification);
    return callAgent(entry, shape.content(args), requestKey(extra.requestId), [extra.signal, options.signal], ports, options, progress);
  });
  // Replaces the SDK's own handler, which only knows the requests of this (one-request) transport.
  server.setNotificationHandler(CancelledNotificationSchema, async (note) => {
    if (ports.cancels && note.params.requestId !== undefined) {
      ports.waitUntil(ports.cancels.cancel(requestKey(note.params.requestId), note.params.reason ?? "cancelled by the MCP client"));
    }
  });

  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: options.maxBodyBytes });
  await server.connect(transport);
  let initialize = false;
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (isInitializeRequest(message)) initialize = true;
    deliver?.(message, extra);
  };
  return { response: await transport.handleRequest(request), initialize };
}

async function callAgent(
  entry: AgentEntry,
  content: unknown,
  key: string,
  signals: AbortSignal[],
  ports: McpServePorts,
  options: McpServeOptions,
  progress?: ProgressSender,
): Promise<CallToolResult> {
  const cancelled = new AbortController();
  const watching = ports.cancels?.watch(key).then(
    (reason) => {
      if (reason !== null) cancelled.abort(reason);
    },
    () => {},
  );
  const now = Date.now();
  const call: Call = {
    message: makeEnvelope({ from: options.from, to: entry.name, role: "agent_call", content, traceparent: options.traceparent, now }),
    deadline: deadlineAfter(undefined, now),
    path: [],
    pattern: "mcp",
  };
  const signal = AbortSignal.any([...signals, cancelled.signal]);
  try {
    if (!progress) {
      const result = await ports.invoke(call, signal);
      return result.ok ? replyResult(result.reply) : failureResult(result);
    }
    const opened = await ports.invokeStream(call, signal);
    if (!opened.ok) return failureResult(opened);
    const result = await drainStream(opened.body, { delta: progress.send }, entry.name);
    await progress.sent();
    return result.ok ? replyResult(result.reply) : failureResult(result);
  } finally {
    if (ports.cancels && watching) ports.waitUntil(ports.cancels.release(key).then(() => watching));
  }
}

interface ProgressSender {
  send(delta: DeltaData): void;
  /** Settles once every notification sent so far is written, so none comes after the result. */
  sent(): Promise<void>;
}

/** `notifications/progress` for each delta, in order: `progress` counts them, `message` is the chunk as text. */
function progressSender(progressToken: ProgressToken, notify: (note: ServerNotification) => Promise<void>): ProgressSender {
  let count = 0;
  let chain = Promise.resolve();
  return {
    send(delta) {
      count++;
      const chunk = chunkOf(delta);
      const params = { progressToken, progress: count, message: typeof chunk === "string" ? chunk : JSON.stringify(chunk) };
      // A client that went away cannot be told; the call itself is cancelled by its signal.
      chain = chain.then(() => notify({ method: "notifications/progress", params })).catch(() => {});
    },
    sent: () => chain,
  };
}

/**
 * The A2A JSON-RPC binding over Workers' Request/Response, with the SDK's own server classes:
 * `DefaultRequestHandler` (task lifecycle; ./request-handler.ts) behind `JsonRpcTransportHandler`
 * (method dispatch and error codes). This file only does what the SDK's express adapter does for
 * node: refuse a body that is not JSON by its Content-Type (-32005, unread), read the body within
 * our limits, check the A2A-Version, and answer JSON or, for streaming methods, SSE. A JSON-RPC error
 * is an HTTP 200 answer whatever its code: the HTTP request itself was fine.
 */
import { type AgentCard, formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS } from "@a2a-js/sdk";
import { A2A_ERROR_CODE, RequestMalformedError } from "@a2a-js/sdk/errors";
import { type AgentExecutor, JsonRpcTransportHandler, ServerCallContext, type TaskStore, type User, validateVersion } from "@a2a-js/sdk/server";
import { SwitchboardError } from "../message/errors";
import { readJsonBody } from "../message/json-body";
import { A2A_BINDING, A2A_PROTOCOL_VERSION } from "./card";
import { type RunPorts, SwitchboardRequestHandler } from "./request-handler";

export interface RpcInit {
  card: AgentCard;
  store: TaskStore;
  /** The executor for one request; `streaming` when the method answers a stream (SendStreamingMessage). */
  executor(streaming: boolean): AgentExecutor;
  /** How CancelTask and SubscribeToTask reach a task's invocation. */
  runs: RunPorts;
  /** The agent served, for the reply artifact's description. */
  agent: string;
  /** The authenticated principal's label, e.g. "admin" or "agent:planner". */
  user: string;
  maxBodyBytes: number;
}

type RpcId = string | number | null;

/** JSON, by the media type of Content-Type (`application/json`, or any `+json` type). */
function isJsonContentType(header: string | null): boolean {
  const type = (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export async function handleJsonRpc(request: Request, init: RpcInit): Promise<Response> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    return rpcError(
      null,
      A2A_ERROR_CODE.CONTENT_TYPE_NOT_SUPPORTED,
      `Content-Type must be application/json, not ${request.headers.get("content-type") ?? "absent"}`,
    );
  }
  let body: unknown;
  try {
    body = await readJsonBody(request, init.maxBodyBytes);
  } catch (error) {
    const code = error instanceof SwitchboardError && error.code === "payload_too_large" ? A2A_ERROR_CODE.INVALID_REQUEST : A2A_ERROR_CODE.PARSE_ERROR;
    return rpcError(null, code, (error as Error).message);
  }
  const id = rpcIdOf(body);
  const user: User = { isAuthenticated: true, userName: init.user };
  // We speak only 1.0. A client that sends no A2A-Version (plain curl) gets 1.0 rather than the
  // spec's 0.3 default, which we would have to refuse.
  const requestedVersion = request.headers.get("a2a-version") || A2A_PROTOCOL_VERSION;
  const context = new ServerCallContext({ user, requestedVersion });
  const streaming = typeof body === "object" && body !== null && (body as { method?: unknown }).method === "SendStreamingMessage";
  const transport = new JsonRpcTransportHandler(new SwitchboardRequestHandler(init.card, init.store, init.executor(streaming), init.runs, init.agent));
  try {
    validateVersion(context.requestedVersion, init.card, A2A_BINDING);
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RequestMalformedError("a JSON-RPC request must be an object");
    const problem = messageProblem(body as Record<string, unknown>);
    if (problem) return rpcError(id, A2A_ERROR_CODE.INVALID_PARAMS, problem);
    const result = await transport.handle(body as Record<string, unknown>, context);
    if (!isAsyncIterable(result)) return json(result);
    // Like the SDK's express adapter: an error before the first event is a plain JSON-RPC error.
    const iterator = result[Symbol.asyncIterator]();
    const first = await iterator.next();
    return sse(id, first, iterator);
  } catch (error) {
    const mapped = JsonRpcTransportHandler.mapToJSONRPCError(error);
    return json({ jsonrpc: "2.0", id, error: mapped });
  }
}

/** Streams each JSON-RPC response as one SSE event; a failure mid-stream becomes an error event. */
function sse(id: RpcId, first: IteratorResult<unknown>, rest: AsyncIterator<unknown>): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for (let next = first; !next.done; next = await rest.next()) controller.enqueue(encoder.encode(formatSSEEvent(next.value)));
      } catch (error) {
        controller.enqueue(encoder.encode(formatSSEErrorEvent({ jsonrpc: "2.0", id, error: JsonRpcTransportHandler.mapToJSONRPCError(error) })));
      } finally {
        controller.close();
      }
    },
  });
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS } });
}

function rpcError(id: RpcId, code: number, message: string): Response {
  return json({ jsonrpc: "2.0", id, error: { code, message } });
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

function rpcIdOf(body: unknown): RpcId {
  const id = body && typeof body === "object" && "id" in body ? (body as { id: unknown }).id : null;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === "object" && Symbol.asyncIterator in value;
}

/**
 * The SDK's decoders coerce what they are given (a number becomes a messageId, a string of parts
 * becomes none), so a message that is not one is refused here, naming the field, before anything runs.
 */
function messageProblem(body: Record<string, unknown>): string | null {
  if (body.method !== "SendMessage" && body.method !== "SendStreamingMessage") return null;
  const message = (body.params as { message?: unknown } | undefined)?.message as Record<string, unknown> | undefined;
  if (typeof message !== "object" || message === null || Array.isArray(message)) return "params.message: required, an object";
  if (typeof message.messageId !== "string" || message.messageId === "") return "params.message.messageId: required, a non-empty string";
  if (!Array.isArray(message.parts) || message.parts.length === 0) return "params.message.parts: required, a non-empty array of parts";
  if (!message.parts.every((p) => typeof p === "object" && p !== null && !Array.isArray(p))) return "params.message.parts: each part is an object";
  return null;
}

/**
 * The envelope a message sent over HTTP becomes: from the authenticated caller, to the agent named in
 * the path, in the request's trace. One place, so `POST /agents/:name/invoke` and
 * `POST /agents/:name/messages` always stamp sender and trace the same way. And how a call made for
 * an HTTP client ends when that client disconnects: cancelled.
 */
import type { Context } from "hono";
import { makeEnvelope } from "../../lib/message/call";
import type { CallOptions } from "../../lib/agents/cancellation";
import type { Envelope, Metadata } from "../../lib/message/envelope";
import { senderOf } from "../../lib/security/keys";
import type { AppEnv } from "./app-env";

/** An `agent_call` envelope for `to` from a validated request body. `now` stamps its id and created_at. @default Date.now() */
export function inboundEnvelope(c: Context<AppEnv>, to: string, body: { content: unknown; metadata?: Metadata }, now = Date.now()): Envelope {
  // `c.get`, not `c.var`: Hono builds a fresh object of every variable on each read of `c.var`.
  return makeEnvelope({
    from: senderOf(c.get("principal")),
    to,
    role: "agent_call",
    content: body.content,
    metadata: body.metadata ?? {},
    traceparent: c.get("traceparent"),
    now,
  });
}

/**
 * Call options that cancel the call when the client disconnects (`request.signal`, with the
 * `enable_request_signal` compatibility flag); the cancel RPC outlives the request by `waitUntil`.
 */
export function cancelOnDisconnect(c: Context<AppEnv>): CallOptions {
  return { signal: c.req.raw.signal, waitUntil: (promise) => c.executionCtx.waitUntil(promise) };
}

/**
 * Who is told when a call's handler has a request out under way: a fetch through the guard
 * (./outbound-fetch.ts: the model providers, A2A, MCP) or a remote agent's POST (./remote-http.ts)
 * once its answer has begun (its headers came, or it failed), a call to another agent
 * (lib/agents/agent-ref.ts) once it is issued. A streaming invoke answers its caller only then
 * (durable-objects/agent/streaming.ts, lib/streams/answer-gate.ts).
 *
 * The watcher travels with the call's async context rather than through arguments, because the
 * paths out are built once and shared (a model's provider and its fetch are kept per isolate).
 */
import { AsyncLocalStorage } from "node:async_hooks";

const watchers = new AsyncLocalStorage<() => void>();

/** Runs `run` with `onOutbound` told each time a request made within it (however deep) is under way. */
export function watchOutbound<T>(onOutbound: () => void, run: () => T): T {
  return watchers.run(onOutbound, run);
}

/** A request is under way: tells the call this runs within, if it watches. */
export function outboundUnderway(): void {
  watchers.getStore()?.();
}

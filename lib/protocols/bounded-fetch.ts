/**
 * The fetch the MCP client gets: the SSRF guard on every URL with redirects refused
 * (./remote-a2a.ts `guardedFetch`), and every answer read within `maxBytes`, past which the read
 * fails with a permanent 502 `agent_error` ("reply too large"), never retried, never counted.
 */
import { SwitchboardError } from "../message/errors";
import { guardedFetch } from "./remote-a2a";

/** @default 1048576 (1 MiB) */
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;

export function replyTooLarge(who: string, maxBytes: number): SwitchboardError {
  return new SwitchboardError("agent_error", `${who}: reply too large (over ${maxBytes} bytes)`, { transient: false });
}

/**
 * `onTooLarge` hears of a body cut short: an SDK reading a stream may swallow the error (the MCP
 * client only reports a stringified "disconnected"), and the caller can then fail the call at once.
 */
export function boundedFetch(options: { dev: boolean; maxBytes: number; who: string; onTooLarge?: (error: SwitchboardError) => void }): typeof fetch {
  const guarded = guardedFetch(options.dev).fetch;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await guarded(input, init);
    const declared = Number(response.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw replyTooLarge(options.who, options.maxBytes);
    }
    if (!response.body) return response;
    let seen = 0;
    const limit = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen <= options.maxBytes) return controller.enqueue(chunk);
        const error = replyTooLarge(options.who, options.maxBytes);
        options.onTooLarge?.(error);
        controller.error(error);
      },
    });
    return new Response(response.body.pipeThrough(limit), { status: response.status, statusText: response.statusText, headers: response.headers });
  }) as typeof fetch;
}

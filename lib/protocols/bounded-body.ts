/**
 * Every answer a remote party sends is read within a bound: a remote agent's reply, an error body,
 * an A2A agent's card and answers, a model provider's answer. Past the bound the call fails with a
 * permanent 502 `agent_error` ("reply too large") — never retried, never counted by the breaker —
 * so a hostile or broken remote can neither exhaust the isolate's memory nor make the object try to
 * store a value over the platform's 2 MB limit (a failed write re-runs the handler on redelivery).
 */
import { SwitchboardError } from "../message/errors";
import { readAtMost } from "../message/read-at-most";

/** @default 1048576 (1 MiB) */
export const DEFAULT_MAX_REPLY_BYTES = 1024 * 1024;
/**
 * The largest reply an object stores: with its request's envelope (≤ 256 KiB) a row stays under the
 * platform's 2 MB, and it is as far as the read bound may be raised.
 */
export const MAX_STORED_REPLY_BYTES = 1536 * 1024;

/** `SWITCHBOARD_MAX_REPLY_BYTES`: a bound between 1 KiB and 1.5 MiB, or the default. */
export function maxReplyBytes(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1024 ? Math.min(n, MAX_STORED_REPLY_BYTES) : DEFAULT_MAX_REPLY_BYTES;
}

export function replyTooLarge(who: string, maxBytes: number): SwitchboardError {
  return new SwitchboardError("agent_error", `${who}: reply too large (over ${maxBytes} bytes)`, { transient: false });
}

/** A reply whose declared length is over `maxBytes` fails before a byte of it is read. */
function refuseDeclaredOver(response: Response, maxBytes: number, who: string): void {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    void response.body?.cancel().catch(() => {});
    throw replyTooLarge(who, maxBytes);
  }
}

/**
 * `response` with a body that errors with `replyTooLarge` once more than `maxBytes` arrive.
 * `onTooLarge` hears of a body cut short: an SDK reading a stream may swallow the error (the MCP
 * client reports only a stringified "disconnected"), and the caller can then fail the call at once.
 */
export function boundedResponse(response: Response, maxBytes: number, who: string, onTooLarge?: (error: SwitchboardError) => void): Response {
  refuseDeclaredOver(response, maxBytes, who);
  if (!response.body) return response;
  let seen = 0;
  const limit = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen <= maxBytes) return controller.enqueue(chunk);
      const error = replyTooLarge(who, maxBytes);
      onTooLarge?.(error);
      controller.error(error);
    },
  });
  return new Response(response.body.pipeThrough(limit), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * The body as text, at most `maxBytes` of it, else `replyTooLarge`. Counted as it is read rather
 * than through `boundedResponse`: a stream, a pipe and a Response per reply cost a remote call more
 * CPU than the rest of its read.
 */
export async function readBoundedText(response: Response, maxBytes: number, who: string): Promise<string> {
  refuseDeclaredOver(response, maxBytes, who);
  return DECODER.decode(await readAtMost(response.body, maxBytes, () => replyTooLarge(who, maxBytes)));
}

const DECODER = new TextDecoder();

/** The first `maxBytes` of an answer we only quote (an error body), the rest never read. */
export async function readPrefix(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(total, maxBytes));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk.subarray(0, bytes.byteLength - offset), offset);
    offset += Math.min(chunk.byteLength, bytes.byteLength - offset);
    if (offset >= bytes.byteLength) break;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Our own error inside an SDK's: SDKs wrap what a fetch or a body read threw (as `cause`), and the
 * wrapped error — a refused redirect, a reply over the bound — is the one that says what happened.
 */
export function ownCause(error: unknown): SwitchboardError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof SwitchboardError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

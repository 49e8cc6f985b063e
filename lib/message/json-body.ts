/**
 * Reads a request body as JSON within the limits, before any schema sees it: size first (without
 * buffering more than the limit), then UTF-8 validity, syntax and nesting depth. `__proto__` and
 * `constructor` keys stay plain own properties (JSON.parse defines them); nothing merges user
 * objects with Object.assign, so they never reach a prototype.
 */
import { SwitchboardError } from "./errors";
import { LIMITS } from "./limits";
import { readAtMost } from "./read-at-most";

export async function readJsonBody(request: Request, maxBytes: number = LIMITS.maxBodyBytes): Promise<unknown> {
  const text = (await readTextBody(request, maxBytes)).replace(/^\uFEFF/, "");
  if (text.trim() === "") throw new SwitchboardError("invalid_request", "body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SwitchboardError("invalid_request", `malformed JSON: ${(error as Error).message}`);
  }
  const depth = jsonDepth(value, LIMITS.maxJsonDepth);
  if (depth > LIMITS.maxJsonDepth) {
    throw new SwitchboardError("invalid_request", `JSON nesting exceeds the depth limit of ${LIMITS.maxJsonDepth}`);
  }
  return value;
}

/**
 * One strict decoder per isolate: a decode without `stream` starts from a clean state and a failed
 * one resets it, so sharing it is safe, and it spares building a decoder per request.
 */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as UTF-8 text, within `maxBytes` (413) and valid UTF-8 (400); exactly the bytes sent, for signatures. */
export async function readTextBody(request: Request, maxBytes: number = LIMITS.maxBodyBytes): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new SwitchboardError("payload_too_large", `body is ${declared} bytes; the limit is ${maxBytes}`);
  }
  // With a declared length within the limit, the runtime reads exactly that many bytes (a longer
  // body is a framing error, not a longer read), so one native read replaces the chunk loop.
  const bytes =
    Number.isInteger(declared) && declared >= 0
      ? new Uint8Array(await request.arrayBuffer())
      : await readAtMost(request.body, maxBytes, () => bodyTooLarge(maxBytes));
  if (bytes.byteLength > maxBytes) throw bodyTooLarge(maxBytes);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new SwitchboardError("invalid_request", "body is not valid UTF-8");
  }
}

function bodyTooLarge(maxBytes: number): SwitchboardError {
  return new SwitchboardError("payload_too_large", `body exceeds the limit of ${maxBytes} bytes`);
}

/** Depth of a parsed JSON value, counted iteratively; stops early once past `limit`. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/**
 * The `fetch` given to every SDK that calls out on an agent's behalf (the AI SDK's model
 * providers, the A2A and MCP clients): the SSRF guard on the URL and, since the SDKs would otherwise let the
 * platform follow redirects unseen, on every redirect hop, which is followed by hand (at most 3) or
 * refused; credentials (`Authorization`, `Cookie`) never follow a hop to another origin; and the
 * answer is read within a bound (./bounded-body.ts).
 */
import { SwitchboardError } from "../message/errors";
import { checkOutboundUrl } from "../security/ssrf";
import { boundedResponse } from "./bounded-body";
import { outboundUnderway } from "./outbound-watch";

export interface OutboundFetchOptions {
  /** SWITCHBOARD_DEV: allows http:// and loopback. */
  dev: boolean;
  /** Largest answer body read, in bytes. */
  maxBytes: number;
  /** `follow`: each hop re-checked (at most 3); `refuse`: a redirect is a permanent `agent_error`. */
  redirects: "follow" | "refuse";
  /** Bounds requests that come without their own signal. */
  timeoutMs?: number;
  /** Who is called, for error details. */
  who: string;
  /** Told when an answer is cut short at `maxBytes` (./bounded-body.ts `boundedResponse`). */
  onTooLarge?: (error: SwitchboardError) => void;
}

export interface OutboundFetch {
  fetch: typeof fetch;
  /** Status of the last answer, to classify an SDK's plain `Error`s. */
  lastStatus(): number | null;
}

const MAX_REDIRECTS = 3;
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];

export function outboundFetch(options: OutboundFetchOptions): OutboundFetch {
  let status: number | null = null;
  const guarded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const first = await requestParts(input, init);
    const origin = new URL(first.url).origin;
    const given = init?.signal ?? (input instanceof Request ? input.signal : null);
    const signal = given ?? (options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined);
    const { body } = first;
    let method = first.method;
    let target = first.url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const check = checkOutboundUrl(target, { dev: options.dev });
      if (!check.ok) throw new SwitchboardError("agent_error", `refusing to call ${target}: ${check.reason}`, { transient: false });
      const headers = new Headers(first.headers);
      if (new URL(target).origin !== origin) for (const name of CREDENTIALS) headers.delete(name);
      let response: Response;
      try {
        response = await fetch(target, {
          method,
          headers,
          redirect: "manual",
          ...(signal ? { signal } : {}),
          ...(body !== undefined && method !== "GET" ? { body } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new SwitchboardError("agent_error", `could not reach ${new URL(target).host}: ${(error as Error).message}`, { transient: true });
      } finally {
        outboundUnderway();
      }
      status = response.status;
      const location = response.headers.get("location");
      if (status < 300 || status >= 400 || !location) return boundedResponse(response, options.maxBytes, options.who, options.onTooLarge);
      await response.body?.cancel();
      if (options.redirects === "refuse") {
        throw new SwitchboardError("agent_error", `${target} answered a redirect (${status}); register the final URL`, { transient: false });
      }
      const next = URL.parse(location, target);
      if (!next) throw new SwitchboardError("agent_error", `${new URL(target).host} redirected to an invalid URL`, { transient: false });
      target = next.toString();
      // As fetch does: 303, and 301/302 of a POST, continue as GET without the body.
      if (status === 303 || ((status === 301 || status === 302) && method === "POST")) method = "GET";
    }
    throw new SwitchboardError("agent_error", `too many redirects from ${first.url}`, { transient: false });
  };
  return { fetch: guarded as typeof fetch, lastStatus: () => status };
}

/** A body that can be sent again as it is (for a 307/308), without reading it first. */
type Resendable = string | ArrayBuffer | ArrayBufferView;

/**
 * The URL, method, headers and body of a call, the body in a form a 307/308 can send again. The
 * SDKs pass a URL and a string body (the AI SDK's JSON), which are taken as they are: building a
 * `Request` only to read its body back is a stream read, so a turn of the event loop — and the
 * rest of the isolate's queued work — before every model call leaves.
 */
async function requestParts(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): Promise<{ url: string; method: string; headers: HeadersInit; body: Resendable | undefined }> {
  const given = init?.body;
  if (
    !(input instanceof Request) &&
    (given === undefined || given === null || typeof given === "string" || given instanceof ArrayBuffer || ArrayBuffer.isView(given))
  ) {
    const url = new URL(input).toString();
    const method = normalizedMethod(init?.method ?? "GET");
    const headers = new Headers(init?.headers);
    if (typeof given === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
    return { url, method, headers, body: given ?? undefined };
  }
  const request = input instanceof Request ? input : new Request(input, init);
  // Buffered once, so a 307/308 can send the same body again.
  return { url: request.url, method: request.method, headers: request.headers, body: request.body ? await request.arrayBuffer() : undefined };
}

const STANDARD_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** As `new Request` spells a method: the standard ones upper-cased, any other as given. */
function normalizedMethod(method: string): string {
  const upper = method.toUpperCase();
  return STANDARD_METHODS.has(upper) ? upper : method;
}

/**
 * The remote agent wire protocol (docs/agents.md, `kind: "http"`): POST the envelope, signed, with
 * `traceparent`; a 2xx JSON `{ content, metadata }` is the reply, or a 2xx event stream that ends
 * with it (./remote-stream.ts), and `{ "input_required": { question, schema? } }` asks the caller
 * for input (lib/message/input-required.ts). 408/429/5xx and network errors are transient; other
 * 4xx are permanent. Redirects are followed by hand (at most 3) so that the SSRF guard sees every
 * hop, and only within the registered origin: a signed delivery re-sent to another origin would
 * hand that origin a valid signature to replay. A JSON reply is read within a bound
 * (./bounded-body.ts), an error body only as far as its detail quotes it.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import { isTransientStatus } from "../resilience/retry";
import { askOutput, InputRequest } from "../message/input-required";
import { signatureHeaders } from "../security/signing";
import { checkOutboundUrl } from "../security/ssrf";
import type { StreamSink } from "../streams/stream-sink";
import { DEFAULT_MAX_REPLY_BYTES, readBoundedText, readPrefix } from "./bounded-body";
import { outboundUnderway } from "./outbound-watch";
import { isEventStream, readRemoteStream } from "./remote-stream";

/** A plain call's sink for an agent that streams anyway: the reply event alone is the answer. */
const DISCARD: StreamSink = { delta: () => {}, step: () => {} };

export interface OutboundOptions {
  signal: AbortSignal;
  dev: boolean;
  secret?: string;
  /** The `accept` header. @default "application/json" */
  accept?: string;
  /** Largest reply read, in bytes (./bounded-body.ts). @default 1048576 */
  maxBytes?: number;
}

/** Bytes of an error answer kept for its detail; the rest is never read. */
const ERROR_PREFIX_BYTES = 1024;

const MAX_REDIRECTS = 3;

/** POSTs a signed JSON body to `url`, re-checking the guard on every hop; returns the final response. */
export async function postSigned(url: string, body: unknown, id: string, traceparent: string, options: OutboundOptions): Promise<Response> {
  const text = JSON.stringify(body);
  const origin = new URL(url).origin;
  let target = url;
  // Signed once, at the first hop the guard allows: a redirect re-sends the same signed body.
  let signature: Record<string, string> | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const check = checkOutboundUrl(target, { dev: options.dev });
    if (!check.ok) throw new SwitchboardError("agent_error", `refusing to call ${target}: ${check.reason}`, { transient: false });
    if (new URL(target).origin !== origin) {
      throw new SwitchboardError("agent_error", `refusing to re-send a signed delivery from ${origin} to another origin (${target}); register the final URL`, {
        transient: false,
      });
    }
    signature ??= await signatureHeaders(options.secret, id, text);
    let response: Response;
    try {
      response = await fetch(target, {
        method: "POST",
        redirect: "manual",
        signal: options.signal,
        headers: {
          "content-type": "application/json",
          accept: options.accept ?? "application/json",
          traceparent,
          ...signature,
        },
        body: text,
      });
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw new SwitchboardError("agent_error", `could not reach ${new URL(target).host}: ${(error as Error).message}`, { transient: true });
    } finally {
      outboundUnderway();
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = URL.parse(location, target);
      if (!next) throw new SwitchboardError("agent_error", `${new URL(target).host} redirected to an invalid URL`, { transient: false });
      target = next.toString();
      continue;
    }
    return response;
  }
  throw new SwitchboardError("agent_error", `too many redirects from ${url}`, { transient: false });
}

/** Classifies a non-2xx answer as transient or permanent `agent_error`. */
export async function remoteFailure(response: Response, who: string): Promise<SwitchboardError> {
  const text = (await readPrefix(response, ERROR_PREFIX_BYTES).catch(() => "")).slice(0, 300);
  return new SwitchboardError("agent_error", `${who} answered ${response.status}${text ? `: ${text}` : ""}`, {
    transient: isTransientStatus(response.status),
  });
}

/**
 * One call of a remote agent. With `stream` (the caller streams) it asks for an event stream too,
 * and an agent that answers one has its deltas and steps written there as they come.
 */
export async function callHttpAgent(
  url: string,
  envelope: Envelope,
  options: OutboundOptions & { stream?: StreamSink },
): Promise<{ content: unknown; metadata?: Metadata }> {
  const { stream, ...outbound } = options;
  const accept = stream ? "text/event-stream, application/json;q=0.9" : "application/json";
  const response = await postSigned(url, envelope, envelope.id, envelope.trace.traceparent, { ...outbound, accept });
  const who = `remote agent ${envelope.to}`;
  if (!response.ok) throw await remoteFailure(response, who);
  if (isEventStream(response) && response.body) return readRemoteStream(response.body, stream ?? DISCARD, who);
  const text = await readBoundedText(response, options.maxBytes ?? DEFAULT_MAX_REPLY_BYTES, who);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SwitchboardError("agent_error", `remote agent ${envelope.to} answered ${response.status} without a JSON body`, { transient: false });
  }
  if (body !== null && typeof body === "object" && "input_required" in body) {
    const asked = InputRequest.safeParse((body as { input_required: unknown }).input_required);
    if (!asked.success) {
      const issue = asked.error.issues[0];
      throw new SwitchboardError(
        "agent_error",
        `remote agent ${envelope.to} asked for input badly: input_required.${issue?.path.join(".") || ""}: ${issue?.message}`,
        {
          transient: false,
        },
      );
    }
    return askOutput(asked.data);
  }
  if (body === null || typeof body !== "object" || !("content" in body)) {
    throw new SwitchboardError("agent_error", `remote agent ${envelope.to} answered without a "content" field`, { transient: false });
  }
  const { content, metadata } = body as { content: unknown; metadata?: unknown };
  return metadata && typeof metadata === "object" && !Array.isArray(metadata) ? { content, metadata: metadata as Metadata } : { content };
}

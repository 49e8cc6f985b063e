/**
 * Remote A2A agents (`kind: "a2a"`): the card is fetched once at registration, its JSON-RPC
 * interface and protocol version checked; each call is a blocking `SendMessage` through the SDK's
 * client, or `SendStreamingMessage` for a streaming caller when the card streams. Every request
 * the SDK makes goes through `outboundFetch`, so the SSRF guard sees every URL, redirects are
 * refused rather than followed, and every answer is read within a bound. Failures are classified like HTTP agents:
 * network errors, 408/429/5xx and JSON-RPC internal errors are transient (the breaker counts
 * them); other answers are permanent.
 */
import { type AgentCard, type Artifact, type Message, Role, type StreamResponse, type Task, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { A2A_ERROR_CODE, isJsonRpcError } from "@a2a-js/sdk/errors";
import { contentToParts, partsToContent, partsToText } from "../a2a/parts";
import type { Envelope, Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import type { A2aRemote } from "../registry/entry";
import { isTransientStatus } from "../resilience/retry";
import { checkOutboundUrl } from "../security/ssrf";
import type { StreamSink } from "../streams/stream-sink";
import { DEFAULT_MAX_REPLY_BYTES, ownCause } from "./bounded-body";
import { outboundFetch } from "./outbound-fetch";

/** Protocol majors this client speaks. */
const SUPPORTED_MAJOR = "1";

/** How long registration waits for a remote agent card. */
const CARD_TIMEOUT_MS = 10_000;

/** Fetches and checks a remote agent card; what the registry keeps of it. Throws `invalid_request`. */
export async function resolveRemoteCard(cardUrl: string, dev: boolean, maxBytes = DEFAULT_MAX_REPLY_BYTES): Promise<A2aRemote> {
  const guarded = outboundFetch({ dev, maxBytes, redirects: "refuse", timeoutMs: CARD_TIMEOUT_MS, who: `the A2A agent card at ${cardUrl}` });
  let card: AgentCard;
  try {
    card = await new DefaultAgentCardResolver({ fetchImpl: guarded.fetch }).resolve(cardUrl, "");
  } catch (error) {
    throw new SwitchboardError("invalid_request", `url: could not fetch the A2A agent card: ${(ownCause(error) ?? (error as Error)).message}`);
  }
  const rpc = (card.supportedInterfaces ?? []).filter((i) => i.protocolBinding?.toUpperCase() === "JSONRPC");
  const usable = rpc.find((i) => i.protocolVersion?.split(".")[0] === SUPPORTED_MAJOR);
  if (!usable) {
    const offered = rpc.map((i) => i.protocolVersion || "unspecified").join(", ") || "no JSON-RPC interface";
    throw new SwitchboardError("invalid_request", `url: the agent card offers ${offered}; Switchboard speaks A2A ${SUPPORTED_MAJOR}.x over JSON-RPC`);
  }
  const endpoint = new URL(usable.url, cardUrl).toString();
  const check = checkOutboundUrl(endpoint, { dev });
  if (!check.ok) throw new SwitchboardError("invalid_request", `url: the card's endpoint ${endpoint} is not allowed: ${check.reason}`);
  const remote: A2aRemote = { card_url: cardUrl, endpoint, protocol_version: usable.protocolVersion, card_name: card.name };
  if (usable.tenant) remote.tenant = usable.tenant;
  if (card.capabilities?.streaming) remote.streaming = true;
  return remote;
}

/** With `stream` (the caller streams) an agent whose card streams is called with `SendStreamingMessage`, its artifact chunks becoming deltas. */
export async function callA2aAgent(
  remote: A2aRemote,
  envelope: Envelope,
  options: { signal: AbortSignal; dev: boolean; maxBytes?: number; stream?: StreamSink },
): Promise<{ content: unknown; metadata?: Metadata }> {
  const who = `A2A agent ${envelope.to}`;
  const guarded = outboundFetch({ dev: options.dev, maxBytes: options.maxBytes ?? DEFAULT_MAX_REPLY_BYTES, redirects: "refuse", who });
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: guarded.fetch })] }),
  );
  const message: Message = {
    messageId: envelope.id,
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: contentToParts(envelope.content),
    metadata: { ...envelope.metadata, switchboard_from: envelope.from, traceparent: envelope.trace.traceparent },
    extensions: [],
    referenceTaskIds: [],
  };
  try {
    const client = await factory.createFromAgentCard(minimalCard(remote));
    if (options.stream && remote.streaming)
      return await streamed(client.sendMessageStream({ message } as never, { signal: options.signal }), options.stream, who);
    const result = await client.sendMessage({ message } as never, { signal: options.signal });
    return "messageId" in result ? fromMessage(result) : fromTask(result, who);
  } catch (error) {
    throw classify(error, who, guarded.lastStatus(), options.signal);
  }
}

/** Just enough card for the client to pick the interface the registry stored. */
function minimalCard(remote: A2aRemote): AgentCard {
  return {
    name: remote.card_name,
    description: "",
    version: "",
    supportedInterfaces: [{ url: remote.endpoint, protocolBinding: "JSONRPC", tenant: remote.tenant ?? "", protocolVersion: remote.protocol_version }],
    provider: undefined,
    capabilities: { extensions: [], streaming: remote.streaming === true },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: [],
    defaultOutputModes: [],
    skills: [],
    signatures: [],
  };
}

const RUNNING = new Set([TaskState.TASK_STATE_UNSPECIFIED, TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]);

/**
 * A `SendStreamingMessage` read to the task's end. A chunk that adds to an artifact (its first, or
 * `append: true`) is a delta; one that replaces an artifact (a final whole reply) is not, so
 * nothing reaches the caller twice. The reply is the task as it ended, as for `SendMessage`.
 */
async function streamed(events: AsyncIterable<StreamResponse>, sink: StreamSink, who: string): Promise<{ content: unknown; metadata: Metadata }> {
  let task: Task | null = null;
  const artifacts = new Map<string, Artifact>();
  const ended = (last: Task) => fromTask({ ...last, artifacts: [...artifacts.values()] }, who);
  for await (const { payload } of events) {
    switch (payload?.$case) {
      case "message":
        return fromMessage(payload.value);
      case "task":
        task = payload.value;
        for (const artifact of task.artifacts) artifacts.set(artifact.artifactId, artifact);
        if (!RUNNING.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) return ended(task);
        break;
      case "artifactUpdate": {
        const { artifact, append } = payload.value;
        if (!artifact) break;
        const known = artifacts.get(artifact.artifactId);
        if (known && append) known.parts.push(...artifact.parts);
        else artifacts.set(artifact.artifactId, structuredClone(artifact));
        if (!known || append) sink.delta(partsToContent(artifact.parts));
        break;
      }
      case "statusUpdate": {
        if (!task || !payload.value.status) break;
        const current: Task = { ...(task as Task), status: payload.value.status };
        task = current;
        if (!RUNNING.has(current.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) return ended(current);
        break;
      }
    }
  }
  throw new SwitchboardError("agent_error", `${who} ended its stream before the task ended`, { transient: true });
}

function fromMessage(message: Message): { content: unknown; metadata: Metadata } {
  return { content: partsToContent(message.parts), metadata: { a2a_message_id: message.messageId } };
}

function fromTask(task: Task, who: string): { content: unknown; metadata: Metadata } {
  const state = task.status?.state;
  const statusText = task.status?.message ? partsToText(task.status.message.parts) : "";
  const metadata = { a2a_task_id: task.id, a2a_context_id: task.contextId, a2a_state: state === undefined ? "unknown" : TaskState[state] };
  if (state === TaskState.TASK_STATE_COMPLETED) {
    const parts = task.artifacts.flatMap((a) => a.parts);
    return { content: parts.length ? partsToContent(parts) : task.status?.message ? partsToContent(task.status.message.parts) : null, metadata };
  }
  const label = state === undefined ? "unknown" : TaskState[state];
  // A failed task is the remote handler failing, like a 5xx; the others will not change on retry.
  throw new SwitchboardError("agent_error", `${who} ended task ${task.id} as ${label}${statusText ? `: ${statusText.slice(0, 300)}` : ""}`, {
    transient: state === TaskState.TASK_STATE_FAILED,
  });
}

function classify(error: unknown, who: string, status: number | null, signal: AbortSignal): unknown {
  if (signal.aborted) return error;
  const own = ownCause(error);
  if (own) return own;
  const message = (error as Error)?.message ?? String(error);
  if (isJsonRpcError(error)) {
    return new SwitchboardError("agent_error", `${who} answered JSON-RPC error ${error.envelopeCode}: ${message.slice(0, 300)}`, {
      transient: error.envelopeCode === A2A_ERROR_CODE.INTERNAL_ERROR,
    });
  }
  if (status !== null && (status < 200 || status >= 300)) {
    return new SwitchboardError("agent_error", `${who} answered ${status}: ${message.slice(0, 300)}`, { transient: isTransientStatus(status) });
  }
  // A 2xx answer the client could not read is the remote's bug, not something a retry fixes.
  return new SwitchboardError("agent_error", `${who} answered an unreadable response: ${message.slice(0, 300)}`, { transient: false });
}

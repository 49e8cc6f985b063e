/**
 * A typed client for the Switchboard HTTP API. Built on `fetch` only, so it runs in Node (≥ 18),
 * browsers and other Workers (pass a service binding's `fetch`). Every non-2xx answer throws
 * `SwitchboardApiError` with the problem+json `code`, the status and `retryAfter`.
 *
 *   const sb = createSwitchboardClient({ baseUrl: "http://localhost:8787", apiKey: "sk_dev_admin" });
 *   const reply = await sb.invoke("echo", { content: "hello" });
 *   if (!isWaiting(reply)) console.log(reply.content);
 *   const stream = await sb.invokeStream("narrator", { content: "hello" });
 *   for await (const event of stream) if (event.event === "delta") process.stdout.write(event.data.text);
 */
import { EventSourceParserStream } from "eventsource-parser/stream";
import { apiErrorFrom, type ProblemDetails, SwitchboardApiError } from "./errors";
import type {
  Accepted,
  AgentConfig,
  AgentEntry,
  AgentFilter,
  AgentMetricsReport,
  AgentPage,
  AgentWithStatus,
  BreakerSnapshot,
  BulkReplayed,
  DeadLetterEntry,
  Envelope,
  EventAccepted,
  HandshakeInput,
  HandshakeResult,
  InvokeAnswer,
  InvokeInput,
  LogEntry,
  MapReduceInput,
  MapReduceResult,
  MessageInput,
  Observer,
  ObserverInput,
  PauseState,
  RequestView,
  Schedule,
  ScheduleInput,
  StreamCancelled,
  StreamEvent,
  Trace,
  Waiting,
} from "./types";

export interface ClientOptions {
  /** e.g. `http://localhost:8787` or `https://switchboard.example.workers.dev`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; omit for public routes or cookie sessions in a browser. */
  apiKey?: string;
  /** @default globalThis.fetch */
  fetch?: (input: Request) => Promise<Response>;
  /** Extra headers on every request (e.g. `traceparent` to join an existing trace). */
  headers?: Record<string, string>;
}

export interface CallOptions {
  /** W3C traceparent to continue a trace; every response also carries one. */
  traceparent?: string;
  signal?: AbortSignal;
}

const seg = encodeURIComponent;

/** Whether a sync invoke's answer is the request that waits for input (a 202) rather than the reply envelope. */
export function isWaiting(answer: InvokeAnswer): answer is Waiting {
  return !("role" in answer) && typeof (answer as Waiting).request_id === "string";
}

/** A streamed reply: its events as they come (`for await`), or `reply()` for the envelope at its end. */
export interface AgentStream extends AsyncIterable<StreamEvent> {
  /** The stream's id (`X-Stream-Id`): `resumeStream` reads it again after a dropped connection. */
  readonly streamId: string;
  /** True when an earlier call with the same `idempotency_key` answered (`Idempotent-Replayed`): this stream tells that answer. */
  readonly replayed: boolean;
  /** Reads the rest of the stream: the reply envelope, or throws SwitchboardApiError for its `error` event (or for a stream cut before its end). */
  reply(): Promise<Envelope>;
  /**
   * Cancels the call writing this stream (`DELETE /streams/:id`), at once and down every hop it
   * made; the stream then ends with an `error` event, code `cancelled`, which `reply()` throws.
   */
  cancel(): Promise<StreamCancelled>;
}

/** The events of an SSE response, read once: iterating and `reply()` share one reader. */
function agentStream(response: Response, cancel: (streamId: string) => Promise<StreamCancelled>): AgentStream {
  const streamId = response.headers.get("x-stream-id") ?? "";
  // A 204 (a reader that has seen the whole stream) has no body: no events.
  const body = response.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  const messages = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = messages.getReader();
  let ended = false;
  async function next(): Promise<StreamEvent | null> {
    if (ended) return null;
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return null;
    }
    let data: unknown = value.data;
    try {
      data = JSON.parse(value.data);
    } catch {}
    return { id: value.id === undefined || value.id === "" ? null : Number(value.id), event: value.event ?? "message", data };
  }
  return {
    streamId,
    replayed: response.headers.get("idempotent-replayed") === "true",
    cancel: () => cancel(streamId),
    async *[Symbol.asyncIterator]() {
      for (let event = await next(); event; event = await next()) yield event;
    },
    async reply() {
      for (let event = await next(); event; event = await next()) {
        if (event.event === "reply") return event.data as Envelope;
        if (event.event === "error") {
          const problem = event.data as ProblemDetails;
          throw new SwitchboardApiError(problem.status, problem, typeof problem.retry_after === "number" ? problem.retry_after : undefined);
        }
      }
      const detail = `stream ${streamId} ended before its reply; resumeStream reads it again`;
      throw new SwitchboardApiError(502, { type: "about:blank", title: "Agent error", status: 502, code: "agent_error", detail });
    },
  };
}

function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : "";
}

export function createSwitchboardClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((request: Request) => fetch(request));

  async function send(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; headers?: Record<string, string> } & CallOptions = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers, ...init.headers };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    if (init.traceparent) headers.traceparent = init.traceparent;
    let body: string | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await doFetch(new Request(`${base}${path}`, { method, headers, body, signal: init.signal, redirect: "manual" }));
    if (!response.ok) throw await apiErrorFrom(response);
    return response;
  }

  async function json<T>(method: string, path: string, init: Parameters<typeof send>[2] = {}): Promise<T> {
    const response = await send(method, path, init);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  const cancelStream = (streamId: string) => json<StreamCancelled>("DELETE", `/streams/${seg(streamId)}`);

  return {
    health: () => json<{ status: "ok" }>("GET", "/health"),

    // Registry
    /** One page of the directory in name order; pass `next_cursor` back as `cursor` for the next (null: the last page). */
    listAgents: (filter: AgentFilter & { limit?: number; cursor?: string } = {}) => json<AgentPage>("GET", `/agents${query(filter)}`),
    /** Every agent matching `filter`, fetching page after page as the loop asks for more. */
    eachAgent: async function* (filter: AgentFilter & { limit?: number } = {}): AsyncGenerator<AgentEntry> {
      let cursor: string | undefined;
      do {
        const page = await json<AgentPage>("GET", `/agents${query({ ...filter, cursor })}`);
        yield* page.agents;
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
    },
    getAgent: (name: string) => json<AgentWithStatus>("GET", `/agents/${seg(name)}`),
    putAgent: (name: string, config: Partial<AgentConfig>) => json<AgentEntry>("PUT", `/agents/${seg(name)}`, { body: config }),
    deleteAgent: (name: string) => json<void>("DELETE", `/agents/${seg(name)}`),

    // Messaging
    /** The reply envelope, or, when the agent asked for input, the request that waits (202; `isWaiting` tells which). */
    invoke: (name: string, input: InvokeInput, call: CallOptions = {}) => json<InvokeAnswer>("POST", `/agents/${seg(name)}/invoke`, { body: input, ...call }),
    send: (name: string, input: MessageInput, call: CallOptions = {}) => json<Accepted>("POST", `/agents/${seg(name)}/messages`, { body: input, ...call }),
    /**
     * A streaming invoke (`Accept: text/event-stream`): answers once the call started; a call refused
     * before it starts throws, as `invoke` does. With `idempotency_key`, a retry streams the first
     * call's answer (`replayed`).
     */
    invokeStream: async (name: string, input: InvokeInput, call: CallOptions = {}) =>
      agentStream(await send("POST", `/agents/${seg(name)}/invoke`, { body: input, headers: { accept: "text/event-stream" }, ...call }), cancelStream),
    /** The events of a stream after `lastEventId` (all of them without one), then its live tail; an ended stream the caller saw to its end has none. */
    resumeStream: async (streamId: string, lastEventId?: number, call: CallOptions = {}) =>
      agentStream(
        await send("GET", `/streams/${seg(streamId)}`, {
          headers: { accept: "text/event-stream", ...(lastEventId !== undefined ? { "last-event-id": String(lastEventId) } : {}) },
          ...call,
        }),
        cancelStream,
      ),
    /** Cancels the call writing a stream now (a dropped connection cancels only after the server's grace period); its readers then get an `error` event, code `cancelled`. */
    cancelStream,
    getRequest: (id: string) => json<RequestView>("GET", `/requests/${seg(id)}`),
    /** Answers a request that waits for input; it resumes through the queue (poll `getRequest`). */
    answerInput: (id: string, content: unknown) => json<RequestView>("POST", `/requests/${seg(id)}/input`, { body: { content } }),
    /** The agent's requests that wait for input, oldest first. */
    waitingRequests: (name: string, limit?: number) =>
      json<{ requests: RequestView[] }>("GET", `/agents/${seg(name)}/requests${query({ status: "input_required", limit })}`).then((r) => r.requests),
    cancelRequest: (id: string) => json<RequestView>("DELETE", `/requests/${seg(id)}`),
    handshake: (name: string, offer: HandshakeInput) => json<HandshakeResult>("POST", `/agents/${seg(name)}/handshake`, { body: offer }),

    // Patterns
    mapReduce: (input: MapReduceInput, call: CallOptions = {}) => json<MapReduceResult>("POST", "/patterns/map-reduce", { body: input, ...call }),
    listObservers: (name: string) => json<{ observers: Observer[] }>("GET", `/agents/${seg(name)}/observers`).then((r) => r.observers),
    addObserver: (name: string, observer: ObserverInput) => json<Observer>("POST", `/agents/${seg(name)}/observers`, { body: observer }),
    removeObserver: (name: string, id: string) => json<void>("DELETE", `/agents/${seg(name)}/observers/${seg(id)}`),
    publishEvent: (name: string, event: { event: string; data?: unknown }, call: CallOptions = {}) =>
      json<EventAccepted>("POST", `/agents/${seg(name)}/events`, { body: event, ...call }),

    // Time and flow
    pauseAgent: (name: string) => json<PauseState>("POST", `/agents/${seg(name)}/pause`),
    resumeAgent: (name: string) => json<PauseState>("POST", `/agents/${seg(name)}/resume`),
    createSchedule: (name: string, schedule: ScheduleInput) => json<Schedule>("POST", `/agents/${seg(name)}/schedules`, { body: schedule }),
    listSchedules: (name: string) => json<{ agent: string; schedules: Schedule[] }>("GET", `/agents/${seg(name)}/schedules`).then((r) => r.schedules),
    getSchedule: (name: string, id: string) => json<Schedule>("GET", `/agents/${seg(name)}/schedules/${seg(id)}`),
    pauseSchedule: (name: string, id: string) => json<Schedule>("POST", `/agents/${seg(name)}/schedules/${seg(id)}/pause`),
    resumeSchedule: (name: string, id: string) => json<Schedule>("POST", `/agents/${seg(name)}/schedules/${seg(id)}/resume`),
    deleteSchedule: (name: string, id: string) => json<void>("DELETE", `/agents/${seg(name)}/schedules/${seg(id)}`),

    // Resilience
    getBreaker: (name: string) => json<BreakerSnapshot>("GET", `/agents/${seg(name)}/breaker`),
    resetBreaker: (name: string) => json<BreakerSnapshot>("POST", `/agents/${seg(name)}/breaker/reset`),
    listDeadLetters: (filter: { agent?: string; limit?: number; cursor?: string } = {}) =>
      json<{ entries: DeadLetterEntry[]; cursor: string | null }>("GET", `/dlq${query(filter)}`),
    getDeadLetter: (id: string) => json<DeadLetterEntry>("GET", `/dlq/${seg(id)}`),
    replayDeadLetter: (id: string) => json<{ id: string; status: string }>("POST", `/dlq/${seg(id)}/replay`),
    /** Up to `limit` (1–100, default 100) of `agent`'s dead letters, oldest first; call again with the answer's `cursor` while it is not null. */
    replayDeadLetters: (agent: string, options: { limit?: number; cursor?: string } = {}) =>
      json<BulkReplayed>("POST", "/dlq/replay", { body: { agent, ...options } }),
    deleteDeadLetter: (id: string) => json<void>("DELETE", `/dlq/${seg(id)}`),
    /** Deletes `agent`'s dead letters; those being replayed are left to settle. */
    deleteDeadLetters: (agent: string) => json<{ agent: string; deleted: number; replaying: number }>("DELETE", `/dlq${query({ agent })}`),

    // Observability
    agentLog: (name: string, limit?: number) =>
      json<{ agent: string; entries: LogEntry[] }>("GET", `/agents/${seg(name)}/log${query({ limit })}`).then((r) => r.entries),
    agentMetrics: (name: string) => json<AgentMetricsReport>("GET", `/agents/${seg(name)}/metrics`),
    metricsText: () => send("GET", "/metrics", { headers: { accept: "text/plain" } }).then((r) => r.text()),
    getTrace: (traceId: string) => json<Trace>("GET", `/traces/${seg(traceId)}`),
    openApi: () => json<Record<string, unknown>>("GET", "/openapi.json"),

    // Inbound webhooks: the body must be sent byte for byte as signed.
    deliverWebhook: (agent: string, rawBody: string, signatureHeaders: Record<string, string>, source?: "github" | "stripe") =>
      json<Accepted>("POST", `/webhooks/${seg(agent)}${query({ source })}`, {
        raw: rawBody,
        headers: { "content-type": "application/json", ...signatureHeaders },
      }),

    // A2A
    agentCard: (name: string) => json<Record<string, unknown>>("GET", `/a2a/${seg(name)}/.well-known/agent-card.json`),
    a2a: (name: string, rpc: { method: string; params?: unknown; id?: string | number }) =>
      json<{ jsonrpc: "2.0"; id: string | number | null; result?: unknown; error?: { code: number; message: string } }>("POST", `/a2a/${seg(name)}`, {
        body: { jsonrpc: "2.0", id: rpc.id ?? 1, method: rpc.method, params: rpc.params ?? {} },
      }),
  };
}

export type SwitchboardClient = ReturnType<typeof createSwitchboardClient>;

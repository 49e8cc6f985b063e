/**
 * Request and response shapes of the HTTP API (docs/api.md), for the typed client. Types only: importing
 * them pulls no server code into a browser or another worker.
 */
import type { Envelope, Metadata } from "../message/envelope";
import type { LoggedRow } from "../observability/message-log";
import type { AgentMetricsReport } from "../observability/prometheus";
import type { TraceRow } from "../observability/trace-index";
import type { HandshakeResult } from "../protocols/handshake";
import type { InputRequest } from "../message/input-required";
import type { RequestView } from "../protocols/request-store";
import type { AgentConfig, AgentEntry } from "../registry/entry";
import type { BreakerSnapshot } from "../resilience/circuit-breaker";
import type { ScheduleBody, ScheduleView } from "../time/schedule";

export type { AgentConfig, AgentEntry, AgentMetricsReport, BreakerSnapshot, Envelope, HandshakeResult, Metadata, RequestView, TraceRow };

/** `POST /agents/:name/schedules`'s body, and the schedule it answers with. */
export type ScheduleInput = ScheduleBody;
export type Schedule = ScheduleView;

/** One event of a streamed reply (docs/streaming.md): `start`, `delta`s and `step`s, then one `reply` or `error`. */
export interface StreamEvent {
  /** The event's id, to resume after (`resumeStream`); null for an event without one. */
  id: number | null;
  event: "start" | "delta" | "step" | "reply" | "error" | (string & {});
  /** `start` `{ stream_id, message_id }`, `delta` `{ text }` or `{ value }`, `step` `{ type, … }`, `reply` the envelope, `error` the problem. */
  data: any;
}

/** A sync invoke whose agent asked for input: the 202 naming the request that waits (answer it with `answerInput`). */
export interface Waiting {
  request_id: string;
  status: RequestView["status"];
  status_url: string;
  input_required?: InputRequest;
}

/** What a sync invoke answers: the reply envelope, or the request that waits for input (`isWaiting` tells which). */
export type InvokeAnswer = Envelope | Waiting;

/** `POST /agents/:name/pause` and `/resume`. */
export interface PauseState {
  agent: string;
  paused: boolean;
  held: number;
}

/** Filters of `GET /agents`; each narrows the listing, all together must hold. */
export interface AgentFilter {
  kind?: AgentEntry["kind"];
  capability?: string;
  /** The start of the agent's name. */
  prefix?: string;
}

/** One page of `GET /agents`; `next_cursor` is null on the last page. */
export interface AgentPage {
  agents: AgentEntry[];
  next_cursor: string | null;
}

export interface AgentWithStatus extends AgentEntry {
  status: { breaker: BreakerSnapshot["state"]; in_flight: number };
  peers?: unknown[];
}

export interface InvokeInput {
  content: unknown;
  metadata?: Metadata;
  timeout_ms?: number;
  idempotency_key?: string;
}

export interface MessageInput extends InvokeInput {
  /** An agent name or an https URL that receives the reply. */
  reply_to?: string;
  /** Deliver at this time (RFC 3339 with a zone), at most 365 days ahead; not with `delay_ms`. */
  deliver_at?: string;
  /** Deliver this many ms from now (0 … 31536000000); not with `deliver_at`. */
  delay_ms?: number;
}

/** `DELETE /streams/:id`: the server's own type, so the two cannot drift apart. */
export type { StreamCancelled } from "../agents/agent-api";

export interface Accepted {
  request_id: string;
  status_url: string;
}

/** A row of `GET /agents/:name/log`: the server's own row type, so the two cannot drift apart. */
export type LogEntry = LoggedRow;

export interface HandshakeInput {
  from: string;
  version: string;
  capabilities?: string[];
}

export interface MapReduceInput {
  data: unknown[];
  mappers: string[];
  reducer: string;
  chunk_size?: number;
  min_success?: number;
  timeout_ms?: number;
}

export interface MapReduceResult {
  result: Envelope;
  map_results: Array<{ mapper: string; chunk: unknown; reply?: Envelope; error?: { code: string; detail: string } }>;
  chunks: number;
}

export type ObserverInput = { observer: string } | { url: string };

export interface Observer {
  id: string;
  observer?: string;
  url?: string;
  [extra: string]: unknown;
}

export interface EventAccepted {
  event_id: string;
  observers: number;
}

/** `POST /dlq/replay`: the letters re-enqueued, those that could not be, and how many of the agent's are left. */
export interface BulkReplayed {
  agent: string;
  replaying: string[];
  failed: Array<{ id: string; code: string; detail: string }>;
  remaining: number;
  /** Pass it back (`replayDeadLetters(agent, { cursor })`) to go on; null once none remain. */
  cursor: string | null;
}

export interface DeadLetterEntry {
  id: string;
  agent: string;
  queue?: "deliveries" | "fanout";
  status?: "dead" | "replaying";
  message: unknown;
  error: { code: string; detail: string };
  attempts: number;
  replays?: number;
  first_failed_at: string;
  last_failed_at: string;
}

export interface Trace {
  trace_id: string;
  agents: string[];
  messages: TraceRow[];
}

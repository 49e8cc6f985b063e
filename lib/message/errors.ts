/**
 * Stable error codes of the HTTP contract (docs/api.md) and the one mapping from code to HTTP status.
 * lib/ throws `SwitchboardError`; across Durable Object RPC we return `Failure` values instead,
 * because RPC drops custom error properties. `functions/http/problem.ts` turns either into
 * problem+json at the edge.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  agent_not_found: 404,
  request_not_found: 404,
  stream_not_found: 404,
  dlq_entry_not_found: 404,
  schedule_not_found: 404,
  not_found: 404,
  handshake_required: 409,
  conflict: 409,
  payload_too_large: 413,
  no_handler: 422,
  pool_saturated: 429,
  rate_limited: 429,
  // nginx's "client closed request": the caller went away or asked to stop; rarely seen by anyone.
  cancelled: 499,
  agent_error: 502,
  circuit_open: 503,
  unavailable: 503,
  timeout: 504,
  loop_detected: 508,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  invalid_request: "Invalid request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  agent_not_found: "Agent not found",
  request_not_found: "Request not found",
  stream_not_found: "Stream not found",
  dlq_entry_not_found: "Dead letter not found",
  schedule_not_found: "Schedule not found",
  not_found: "Not found",
  handshake_required: "Handshake required",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  no_handler: "No handler in chain",
  pool_saturated: "Concurrency cap reached",
  rate_limited: "Rate limited",
  cancelled: "Cancelled",
  agent_error: "Agent error",
  circuit_open: "Circuit open",
  unavailable: "Service unavailable",
  timeout: "Timeout",
  loop_detected: "Loop detected",
};

/** A failed outcome that crosses RPC and queue boundaries intact. */
export interface Failure {
  ok: false;
  code: ErrorCode;
  detail: string;
  /** Seconds, for 429 and 503. */
  retry_after?: number;
  /** Whether retrying later may succeed (timeouts, 5xx, 408, 429, open breaker, full pool). */
  transient?: boolean;
  /** For `circuit_open`: the agent whose own breaker is open (absent when it was a downstream one). */
  open_breaker?: string;
  /** For `circuit_open`: milliseconds until the next probe, more precise than `retry_after`. */
  retry_after_ms?: number;
}

export type Result<T> = ({ ok: true } & T) | Failure;

/** Codes that say "try again later" rather than "this will never work". */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(["timeout", "circuit_open", "pool_saturated", "rate_limited", "unavailable"]);

export function failure(code: ErrorCode, detail: string, extra: Partial<Failure> = {}): Failure {
  return { ok: false, code, detail, transient: TRANSIENT.has(code), ...extra };
}

/** The error lib/ code throws; `code` is one of the stable codes in docs/api.md. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  readonly transient: boolean;

  constructor(code: ErrorCode, detail: string, options: { retryAfter?: number; transient?: boolean } = {}) {
    super(detail);
    this.name = "SwitchboardError";
    this.code = code;
    this.retryAfter = options.retryAfter;
    this.transient = options.transient ?? TRANSIENT.has(code);
  }

  toFailure(): Failure {
    return failure(this.code, this.message, {
      transient: this.transient,
      ...(this.retryAfter !== undefined ? { retry_after: this.retryAfter } : {}),
    });
  }
}

/** Any thrown value as a Failure; unknown errors become `agent_error` (the agent's code threw). */
export function toFailure(error: unknown): Failure {
  if (error instanceof SwitchboardError) return error.toFailure();
  const message = error instanceof Error ? error.message : String(error);
  return failure("agent_error", message || "agent threw", { transient: true });
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
}

export function problemOf(code: ErrorCode, detail: string): Problem {
  return {
    type: `https://switchboard.dev/problems/${code.replaceAll("_", "-")}`,
    title: TITLES[code],
    status: ERROR_STATUS[code],
    code,
    detail,
  };
}

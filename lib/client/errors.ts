/**
 * The typed error the client throws for every non-2xx answer: the problem+json `code` (docs/api.md),
 * the HTTP status, and `retryAfter` (seconds) for 429 and 503.
 */

/** Stable error codes of the Switchboard API; any other string is a code added later. */
export type SwitchboardErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "agent_not_found"
  | "request_not_found"
  | "stream_not_found"
  | "dlq_entry_not_found"
  | "not_found"
  | "handshake_required"
  | "conflict"
  | "payload_too_large"
  | "no_handler"
  | "pool_saturated"
  | "rate_limited"
  | "cancelled"
  | "agent_error"
  | "circuit_open"
  | "timeout"
  | "loop_detected"
  | "internal"
  | (string & {});

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: SwitchboardErrorCode;
  detail: string;
  [extra: string]: unknown;
}

export class SwitchboardApiError extends Error {
  override readonly name = "SwitchboardApiError";
  readonly status: number;
  readonly code: SwitchboardErrorCode;
  /** Seconds to wait before retrying (Retry-After), when the server sent one. */
  readonly retryAfter: number | undefined;
  readonly problem: ProblemDetails;

  constructor(status: number, problem: ProblemDetails, retryAfter?: number) {
    super(`${status} ${problem.code}: ${problem.detail}`);
    this.status = status;
    this.code = problem.code;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** Whether trying again later may succeed (rate limits, full pool, open breaker, timeouts, 5xx). */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** Builds the error from a failed response, whether or not its body is problem+json. */
export async function apiErrorFrom(response: Response): Promise<SwitchboardApiError> {
  const text = await response.text().catch(() => "");
  let problem: ProblemDetails;
  try {
    const parsed = JSON.parse(text) as Partial<ProblemDetails>;
    problem = {
      ...parsed,
      type: parsed.type ?? "about:blank",
      title: parsed.title ?? response.statusText,
      status: parsed.status ?? response.status,
      code: parsed.code ?? `http_${response.status}`,
      detail: parsed.detail ?? text.slice(0, 300),
    };
  } catch {
    problem = { type: "about:blank", title: response.statusText, status: response.status, code: `http_${response.status}`, detail: text.slice(0, 300) };
  }
  const header = response.headers.get("retry-after");
  const retryAfter = header && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
  return new SwitchboardApiError(response.status, problem, retryAfter);
}

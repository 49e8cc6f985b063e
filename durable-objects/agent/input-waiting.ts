/**
 * Requests that wait for input, in this agent's object: a call whose handler asked
 * (lib/message/input-required.ts) is a request row `input_required` holding the call's message, the
 * question, who asked it, the turns answered so far and its deadline policy — nothing is held in
 * memory or on a connection while it waits, and it holds no delivery lease (nothing is owed to the
 * queue until someone answers). An answer makes it pending again, leased like any async request,
 * and resumes it (through the queue, or at once for a caller that waits, like an A2A follow-up); the
 * "input" deadline ends it `timed_out` (its stream, if read, with the `timeout` error event) and
 * dead-letters it through its row; a cancel ends it `cancelled`.
 */
import type { Envelope } from "../../lib/message/envelope";
import { type Failure, type Result, failure } from "../../lib/message/errors";
import { answeredTurn } from "../../lib/message/input-required";
import { newRequestId } from "../../lib/message/ids";
import type { DeliveryAction, DeliveryMessage } from "../../lib/protocols/delivery";
import { answerProblem, askedQuestion, inputDueAt } from "../../lib/protocols/input-wait";
import { type RequestRow, type RequestStore, type RequestView, viewOf } from "../../lib/protocols/request-store";
import { type AgentEntry, DEFAULT_LIMITS } from "../../lib/registry/entry";
import { newDeadLetterId } from "../../lib/resilience/dead-letter-store";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import type { Leases } from "./leases";

/** A sync call that asked: its message (as it came in), the question envelope, and its timeout. */
export interface Parked {
  message: Envelope;
  question: Envelope;
  timeout_ms: number | null;
  /** The call's idempotency key, sender-scoped (`idempotencyScope`): a retry of the call answers with this request (./keyed-calls.ts). */
  idempotency_key?: string;
}

/** `queue`: the resumed attempt is delivered like any async message; `now`: it runs before the answer returns. */
export type ResumeMode = "queue" | "now";

export interface InputWaitingDeps {
  /** Which of the agent's shards this object is (0: home); the ids of requests parked here name it. */
  shard: number;
  requests: RequestStore;
  deadlines: DeadlineTable;
  /** DELIVERIES: where a resumed request's attempt is enqueued. */
  queue: Queue;
  /** The delivery leases of pending requests (Messaging.leases): an answered request is leased again. */
  leases: Pick<Leases, "until" | "watch">;
  load(): AgentEntry | null;
  /** One delivery attempt of a stored request (Messaging.deliver). */
  deliver(requestId: string): Promise<DeliveryAction>;
  /** Hands a row's pending dead letter to the dead-letter store, now or by its `letter` deadline (Messaging.sendLetterOrRetry). */
  storeLetter(requestId: string): Promise<void>;
  /** A waiting request ended without an answer (timed out or cancelled): the A2A task that mirrors it follows. */
  ended(row: RequestRow): void;
  /** Ends the request's stream, if a reader opened it, with the failure it ended with (Streaming.endRequest). */
  endStream(requestId: string, message: Envelope, result: Failure): void;
  now(): number;
}

export class InputWaiting {
  constructor(private readonly deps: InputWaitingDeps) {
    deps.deadlines.handle("input", (requestId) => this.expire(requestId));
  }

  /** Stores a sync call that asked as a waiting request; its id is what the caller answers. */
  async park(name: string, entry: AgentEntry | null, parked: Parked): Promise<Result<{ request: RequestView }>> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const asked = askedQuestion(parked.question);
    if (!asked) return failure("invalid_request", "question: not an input_required reply");
    if (!asked.ok) return asked;
    const now = this.deps.now();
    const requestId = newRequestId(name, now, this.deps.shard);
    const message = { ...parked.message, metadata: { ...parked.message.metadata, request_id: requestId } };
    this.deps.requests.create({
      request_id: requestId,
      message,
      reply_to: null,
      timeout_ms: parked.timeout_ms,
      now,
      lease_until: null,
      question: parked.question,
      ...(parked.idempotency_key ? { idempotency_key: parked.idempotency_key } : {}),
    });
    await this.wait(entry, requestId);
    return this.view(name, requestId);
  }

  /** Starts the wait of a request that just asked: its deadline is the agent's `limits.input_timeout_ms` from now. */
  async wait(entry: AgentEntry | null, requestId: string): Promise<void> {
    await this.deps.deadlines.schedule("input", requestId, inputDueAt(entry?.limits ?? DEFAULT_LIMITS, this.deps.now()));
  }

  /** The wait is over for another reason (cancelled). */
  stop(requestId: string): void {
    this.deps.deadlines.cancel("input", requestId);
  }

  /**
   * `POST /requests/:id/input`: the answer becomes the next turn and the handler runs again with
   * every turn so far. Only a waiting request can be answered (else `conflict`), by admin, the
   * sender, or the agent itself; an answer that fails the question's schema is `invalid_request`.
   * The answer, the request's new lease and the end of its wait are one write: should the resumed
   * attempt's queue message never arrive, the lease enqueues it again.
   */
  async answer(name: string, requestId: string, viewer: string | null, answer: unknown, mode: ResumeMode): Promise<Result<{ request: RequestView }>> {
    const { requests, leases } = this.deps;
    const row = requests.get(requestId);
    if (!row) return failure("request_not_found", `no request ${requestId}`);
    if (viewer !== null && viewer !== name && viewer !== row.message.from) return failure("forbidden", `agent ${viewer} may not answer ${requestId}`);
    const asked = row.status === "input_required" && row.question ? askedQuestion(row.question) : null;
    if (!asked?.ok) return failure("conflict", `${requestId} is not waiting for input (status ${row.status})`);
    const problem = answerProblem(asked.request, answer);
    if (problem) return problem;
    const now = this.deps.now();
    const input = [...row.input, answeredTurn(asked.request, answer, viewer, now)];
    const lease_until = leases.until(now);
    requests.update(requestId, { status: "pending", question: null, input, lease_until }, now);
    this.stop(requestId);
    await leases.watch(lease_until);
    if (mode === "queue") {
      await this.enqueue(name, requestId);
      return this.view(name, requestId);
    }
    const action = await this.deps.deliver(requestId);
    // What the queue consumer would do with the attempt's outcome. A dead letter is already the
    // row's to store (Messaging.deliver), and a retry not enqueued here is still leased.
    if (action.action === "retry") await this.enqueue(name, requestId, action.delay_seconds);
    return this.view(name, requestId);
  }

  /** The "input" deadline: unanswered, the request ends `timed_out` and is dead-lettered (replayable: it asks again). */
  private async expire(requestId: string): Promise<void> {
    const { requests } = this.deps;
    const row = requests.get(requestId);
    if (row?.status !== "input_required") return;
    const now = this.deps.now();
    const error = { code: "timeout", detail: `no input within ${this.deps.load()?.limits.input_timeout_ms ?? DEFAULT_LIMITS.input_timeout_ms} ms` };
    // The final status and the letter's id in one write, as for a delivery that failed for good: from here the row is the letter's outbox.
    const ended = {
      status: "timed_out" as const,
      error,
      first_failed_at: row.first_failed_at ?? now,
      last_failed_at: now,
      letter_id: row.replay_of ?? newDeadLetterId(row.message.to),
      letter_pending: true,
      lease_until: null,
    };
    requests.update(requestId, ended, now);
    this.deps.ended({ ...row, ...ended });
    // A reader of its stream saw the question as a step; the stream ends as the request did.
    this.deps.endStream(requestId, row.message, failure("timeout", error.detail));
    await this.deps.storeLetter(requestId);
  }

  /**
   * `GET /agents/:name/requests?status=input_required`: the requests waiting here, oldest first.
   * Admin and the agent itself see all of them; another agent sees the ones it sent.
   */
  list(name: string, entry: AgentEntry | null, viewer: string | null, limit: number): Result<{ requests: RequestView[] }> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const rows = this.deps.requests.waiting(limit, viewer === null || viewer === name ? undefined : viewer);
    return { ok: true, requests: rows.map((row) => viewOf(name, row)) };
  }

  /** Enqueues one delivery attempt; when the queue refuses it, the request's lease enqueues it later. */
  private async enqueue(name: string, requestId: string, delaySeconds?: number): Promise<void> {
    const delivery: DeliveryMessage = { kind: "deliver", agent: name, request_id: requestId };
    try {
      await this.deps.queue.send(delivery, { contentType: "json", ...(delaySeconds ? { delaySeconds } : {}) });
    } catch (error) {
      console.warn(
        JSON.stringify({ level: "warn", msg: "could not enqueue an answered request; its lease will", request_id: requestId, error: String(error) }),
      );
    }
  }

  private view(name: string, requestId: string): Result<{ request: RequestView }> {
    const row = this.deps.requests.get(requestId);
    return row ? { ok: true, request: viewOf(name, row) } : failure("request_not_found", `no request ${requestId}`);
  }
}

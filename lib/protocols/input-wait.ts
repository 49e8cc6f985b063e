/**
 * The rules of a request that waits for input (lib/message/input-required.ts), apart from storage:
 * whether a reply's question can be stored, whether an answer fits it, and until when it waits.
 * The agent's object applies them (durable-objects/agent/input-waiting.ts).
 */
import type { Envelope } from "../message/envelope";
import { type Failure, failure } from "../message/errors";
import { type InputRequest, inputRequestOf } from "../message/input-required";
import type { Limits } from "../registry/entry";
import { checkAgainst, schemaProblem } from "../registry/input-schema";

/**
 * The question a reply asks, or null when it is an ordinary reply. A question whose `schema` is not
 * a usable JSON Schema could never be answered, so it is the agent's permanent failure instead.
 */
export function askedQuestion(reply: Envelope): { ok: true; request: InputRequest } | Failure | null {
  const request = inputRequestOf(reply);
  if (!request) return null;
  const problem = request.schema ? schemaProblem(request.schema) : null;
  if (problem) return failure("agent_error", `${reply.from ?? "the agent"} asked for input with a broken schema: ${problem}`, { transient: false });
  return { ok: true, request };
}

/** Why `answer` does not answer `request` (400, naming the field), or null. */
export function answerProblem(request: InputRequest, answer: unknown): Failure | null {
  if (answer === undefined) return failure("invalid_request", "content: the answer is required");
  if (!request.schema) return null;
  const check = checkAgainst(request.schema, answer);
  return check.ok ? null : failure("invalid_request", `content: does not match the question's schema: ${check.detail}`);
}

/** When an unanswered question times out: the agent's `limits.input_timeout_ms` after it was asked. */
export function inputDueAt(limits: Pick<Limits, "input_timeout_ms">, askedAt: number): number {
  return askedAt + limits.input_timeout_ms;
}

/**
 * Input required: an agent that cannot finish without more input (a person's approval, a missing
 * field) answers with a question instead of a reply, and the call waits, durably, in the agent's
 * object until someone answers or the wait times out. This file is the one shape of that outcome
 * whatever the agent's kind and whatever the protocol a caller speaks (HTTP, A2A, later MCP):
 *
 * - a reply envelope whose `metadata.input_required` is an `InputRequest` is a question, not an answer;
 * - every answered question is an `InputTurn`, and a handler resumed after an answer sees all of them,
 *   oldest first (`ctx.input`, and `metadata.input` of the envelope a remote agent receives).
 *
 * It sits at the bottom layer because a `Call` carries the turns to the handler it resumes. Whether a
 * question's `schema` is a usable JSON Schema is checked where the question is stored (the object).
 */
import { z } from "@hono/zod-openapi";
import type { Envelope, Metadata } from "./envelope";

/** The question an agent asks: text for a person, and optionally the JSON Schema an answer must match. */
export const InputRequest = z
  .strictObject({
    question: z.string().min(1).max(4096),
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("InputRequest");
export type InputRequest = z.infer<typeof InputRequest>;

/** One answered question, as the resumed handler sees it. */
export interface InputTurn {
  question: string;
  /** The JSON Schema the answer was checked against, when the question gave one. */
  schema?: Record<string, unknown>;
  /** The answer's content: any JSON value. */
  answer: unknown;
  /** Who answered: an agent name, or null for admin. */
  answered_by: string | null;
  answered_at: string;
}

/** The metadata key that makes a reply a question. */
export const INPUT_REQUIRED_KEY = "input_required";
/** The metadata key that carries the answered turns to a remote agent. */
export const INPUT_HISTORY_KEY = "input";

/** The question an envelope asks, or null when it is an ordinary reply. */
export function inputRequestOf(envelope: Pick<Envelope, "metadata"> | null | undefined): InputRequest | null {
  const value = envelope?.metadata[INPUT_REQUIRED_KEY];
  if (value === undefined) return null;
  const parsed = InputRequest.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The output of a handler that asks: the question as content (for people reading logs) and as metadata. */
export function askOutput(request: InputRequest, metadata: Metadata = {}): { content: unknown; metadata: Metadata } {
  return { content: request.question, metadata: { ...metadata, [INPUT_REQUIRED_KEY]: request } };
}

/** The turn an answer to `request` makes. */
export function answeredTurn(request: InputRequest, answer: unknown, by: string | null, now = Date.now()): InputTurn {
  return {
    question: request.question,
    ...(request.schema ? { schema: request.schema } : {}),
    answer,
    answered_by: by,
    answered_at: new Date(now).toISOString(),
  };
}

/**
 * The envelope a remote agent receives: the turns answered so far in `metadata.input`, replacing
 * whatever the caller put under that key (only Switchboard says what was answered).
 */
export function withInputHistory(envelope: Envelope, turns: readonly InputTurn[] | undefined): Envelope {
  const { [INPUT_HISTORY_KEY]: _, ...metadata } = envelope.metadata;
  return turns?.length ? { ...envelope, metadata: { ...metadata, [INPUT_HISTORY_KEY]: turns } } : { ...envelope, metadata };
}

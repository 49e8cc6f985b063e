/**
 * Message batching, the pure part: when a buffer flushes, the one prompt that asks a model for a
 * result per numbered item as JSON, and how its answer is parsed and handed back. An item only ever
 * receives the entry carrying its own number; an item the model skipped, answered twice or
 * answered malformed is retried once on its own and then fails, never silently dropped.
 */
import { retryDecision } from "./retry";

/** The part of an agent's `batch` config (lib/registry/entry.ts) the flush rules read. */
export interface FlushRule {
  size: number;
  timeout_ms: number;
}

export interface BatchItem {
  /** The message id of the call this item answers. */
  id: string;
  input: unknown;
  enqueued_at: number;
  /** Model calls this item has already been part of. */
  attempts: number;
}

export type ItemOutcome =
  | { ok: true; content: unknown }
  | { ok: false; detail: string /** Worth another model call (skipped or malformed answer). */; retry: boolean };

export type FlushTrigger = "size" | "timeout" | "retry";

/** Model calls an item may be part of before its missing answer becomes an error. @default 2 */
export const MAX_ITEM_ATTEMPTS = 2;

/** Whether a buffer of `pending` items must flush now because it is full. */
export function isFull(pending: number, config: Pick<FlushRule, "size">): boolean {
  return pending >= config.size;
}

/** When the buffer must flush at the latest: the oldest item's age reaches `timeout_ms`. */
export function flushAt(oldestEnqueuedAt: number, config: Pick<FlushRule, "timeout_ms">): number {
  return oldestEnqueuedAt + config.timeout_ms;
}

const FENCE = "```";

export const BATCH_INSTRUCTIONS = [
  "You receive several independent items in one request. Answer each item on its own, as if it were the only one.",
  'Reply with JSON only, shaped {"results":[{"id":<item number>,"result":<your answer for that item>}]},',
  "with exactly one entry per item and the same id numbers as the input. Never merge, skip or reorder items.",
].join("\n");

/** The user message of one batch: the items numbered from 1, as a fenced JSON block. */
export function batchPrompt(items: readonly BatchItem[]): string {
  const numbered = items.map((item, index) => ({ id: index + 1, input: item.input }));
  return `${BATCH_INSTRUCTIONS}\n\n${FENCE}json\n${JSON.stringify({ items: numbered })}\n${FENCE}`;
}

/** JSON Schema of the answer, given to providers that support structured output. */
export const BATCH_OUTPUT_SCHEMA = {
  type: "object",
  properties: {
    results: {
      type: "array",
      items: { type: "object", properties: { id: { type: "integer" }, result: {} }, required: ["id", "result"] },
    },
  },
  required: ["results"],
} as const;

/** The numbered items of a batch prompt, or null when `text` is not one (used by the local model). */
export function extractBatchItems(text: string): Array<{ id: number; input: unknown }> | null {
  const match = text.match(/```json\n(\{"items":[\s\S]*\})\n```/);
  if (!match?.[1]) return null;
  try {
    const parsed = JSON.parse(match[1]) as { items?: unknown };
    return Array.isArray(parsed.items) ? (parsed.items as Array<{ id: number; input: unknown }>) : null;
  } catch {
    return null;
  }
}

/** The outcome for every item of a batch from the model's raw text answer, keyed by item id. */
export function distributeAnswer(items: readonly BatchItem[], text: string): Map<string, ItemOutcome> {
  const outcomes = new Map<string, ItemOutcome>();
  const entries = parseEntries(text);
  if (!entries.ok) {
    for (const item of items) outcomes.set(item.id, { ok: false, detail: `model answer was not valid batch JSON: ${entries.detail}`, retry: true });
    return outcomes;
  }
  const byNumber = new Map<number, unknown[]>();
  for (const entry of entries.value) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
    const { id, result } = entry as { id?: unknown; result?: unknown };
    const number = typeof id === "string" && /^\d+$/.test(id) ? Number(id) : id;
    if (typeof number !== "number" || !Number.isInteger(number) || !("result" in entry)) continue;
    byNumber.set(number, [...(byNumber.get(number) ?? []), result]);
  }
  items.forEach((item, index) => {
    const answers = byNumber.get(index + 1) ?? [];
    if (answers.length === 1) outcomes.set(item.id, { ok: true, content: answers[0] ?? null });
    else if (answers.length === 0) outcomes.set(item.id, { ok: false, detail: `model gave no result for item ${index + 1}`, retry: true });
    else outcomes.set(item.id, { ok: false, detail: `model gave ${answers.length} results for item ${index + 1}`, retry: true });
  });
  return outcomes;
}

/** A skipped or garbled item is asked again at once, within the next flush, until MAX_ITEM_ATTEMPTS. */
const ITEM_RETRY = { max_retries: MAX_ITEM_ATTEMPTS - 1, retry_delay_ms: 0, max_retry_delay_ms: 0 };

/** Whether a failed item gets another model call, given the attempts it has had (including this one). */
export function shouldRetry(outcome: ItemOutcome, attempts: number): boolean {
  return !outcome.ok && retryDecision({ transient: outcome.retry }, attempts, ITEM_RETRY).retry;
}

function parseEntries(text: string): { ok: true; value: unknown[] } | { ok: false; detail: string } {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : "unparseable" };
  }
  if (Array.isArray(parsed)) return { ok: true, value: parsed };
  const results = (parsed as { results?: unknown } | null)?.results;
  if (Array.isArray(results)) return { ok: true, value: results };
  return { ok: false, detail: 'expected {"results": [...]}' };
}

/**
 * Model agents (`kind: "model"`): an agent that is only registry config. A message's content
 * becomes the prompt (a string, `{ "messages": [...] }` for a conversation, or any JSON value as
 * text); the model's answer is the reply content. With `batch` config, calls go through the agent's
 * Batcher instead, and one model call answers a whole batch.
 */
import type { Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import type { AgentEntry, ModelConfig } from "../registry/entry";
import type { ItemResult, StoredItem } from "../resilience/batch-buffer";
import { BATCH_OUTPUT_SCHEMA, batchPrompt } from "../resilience/batching";
import { type ModelEnv, modelLabel } from "./providers";
import { type ChatMessage, runModel } from "./run-model";

const ROLES = new Set(["system", "user", "assistant"]);

/** The conversation a message's content stands for. */
export function promptOf(content: unknown): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const messages = (content as { messages?: unknown } | null)?.messages;
  if (Array.isArray(messages) && messages.length > 0 && messages.every(isChatMessage)) return messages;
  return [{ role: "user", content: JSON.stringify(content ?? null) }];
}

function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as { role?: unknown; content?: unknown } | null;
  return typeof m?.role === "string" && ROLES.has(m.role) && typeof m.content === "string";
}

/** One unbatched call of a model agent. */
export async function runModelAgent(
  config: ModelConfig | undefined,
  env: ModelEnv,
  content: unknown,
  signal: AbortSignal,
): Promise<{ content: unknown; metadata: Metadata }> {
  const result = await runModel(config, env, promptOf(content), { signal });
  return { content: result.text, metadata: { model: result.model, usage: result.usage } };
}

/** The single model call of one flush: the numbered items as one prompt, asking for JSON. */
export async function runBatchPrompt(config: ModelConfig | undefined, env: ModelEnv, items: readonly StoredItem[], signal: AbortSignal): Promise<string> {
  const result = await runModel(config, env, [{ role: "user", content: batchPrompt(items) }], { signal, json: BATCH_OUTPUT_SCHEMA });
  return result.text;
}

/** A batched item's stored result as the agent's output (or the error it failed with). */
export function outputOf(entry: AgentEntry, result: ItemResult): { content: unknown; metadata: Metadata } {
  if (!result.ok) throw new SwitchboardError(result.code, result.detail, { transient: result.transient ?? true });
  return { content: result.content, metadata: { batch: result.batch, model: modelLabel(entry.model ?? { provider: "local" }) } };
}

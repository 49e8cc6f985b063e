/**
 * Model agents (`kind: "model"`): an agent that is only config. A message's content becomes the
 * prompt (a string, `{ "messages": [...] }` for a conversation, or any JSON value as text); the
 * model's answer is the reply content. With `tools` and `handoffs` the model may call other agents
 * first, or hand the message over (then the target's reply is the reply). With `batch` config, calls
 * go through the agent's Batcher instead, and one model call answers a whole batch.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import type { AgentEntry, ModelConfig } from "../registry/entry";
import type { InputTurn } from "../message/input-required";
import { askOutput } from "../message/input-required";
import type { ItemResult, StoredItem } from "../resilience/batch-buffer";
import { BATCH_OUTPUT_SCHEMA, batchPrompt } from "../resilience/batching";
import { type ModelEnv, modelLabel } from "./providers";
import { type ChatMessage, type ModelClient, runModel } from "./run-model";

/** A model agent's answer; `route` is set when a handoff target answered in its place. */
export interface ModelAgentOutput {
  content: unknown;
  metadata: Metadata;
  route?: { handled_by: string; path: string[] };
}

const ROLES = new Set(["system", "user", "assistant"]);

/** The conversation a message's content stands for. */
export function promptOf(content: unknown): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const messages = (content as { messages?: unknown } | null)?.messages;
  if (Array.isArray(messages) && messages.length > 0 && messages.every(isChatMessage)) return messages;
  return [{ role: "user", content: JSON.stringify(content ?? null) }];
}

/** A resumed conversation: each question the model asked, then the answer it was given. */
function withTurns(prompt: ChatMessage[], input: readonly InputTurn[]): ChatMessage[] {
  return [
    ...prompt,
    ...input.flatMap((turn): ChatMessage[] => [
      { role: "assistant", content: turn.question },
      { role: "user", content: typeof turn.answer === "string" ? turn.answer : JSON.stringify(turn.answer) },
    ]),
  ];
}

function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as { role?: unknown; content?: unknown } | null;
  return typeof m?.role === "string" && ROLES.has(m.role) && typeof m.content === "string";
}

/**
 * One unbatched call of a model agent, on the handler context's model client (so its tool calls
 * are this agent's calls). A handoff passes on the message's content and its chain `type`.
 * `input`: the questions it asked and their answers, when it resumes; `onDelta`, for a caller that
 * streams, gets the model's tokens as they come.
 */
export async function runModelAgent(
  entry: AgentEntry,
  model: ModelClient,
  message: Envelope,
  options: { input?: readonly InputTurn[]; onDelta?: (text: string) => void } = {},
): Promise<ModelAgentOutput> {
  const type = message.metadata.type;
  const result = await model.run(withTurns(promptOf(message.content), options.input ?? []), {
    ...(options.onDelta ? { onDelta: options.onDelta } : {}),
    tools: entry.tools ?? [],
    handoffs: entry.handoffs ?? [],
    ...(entry.max_steps !== undefined ? { max_steps: entry.max_steps } : {}),
    handoff_with: { content: message.content, ...(typeof type === "string" ? { metadata: { type } } : {}) },
  });
  const metadata: Metadata = { model: result.model, usage: result.usage };
  if (result.steps) Object.assign(metadata, { steps: result.steps, step_usage: result.step_usage });
  if (result.finish_reason === "max_steps") {
    const calls = (result.steps ?? []).map((s) => `${s.tool} ${s.outcome}`).join(", ");
    throw new SwitchboardError("agent_error", `${entry.name} reached max_steps ${entry.max_steps} with its model still calling tools (${calls})`, {
      transient: false,
    });
  }
  if (result.input_required) return askOutput(result.input_required, metadata);
  if (!result.handoff) return { content: result.text, metadata };
  const { reply } = result.handoff;
  return {
    content: reply.content,
    metadata,
    route: { handled_by: String(reply.metadata.handled_by ?? result.handoff.agent), path: (reply.metadata.path as string[] | undefined) ?? [] },
  };
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

/**
 * One model call through the AI SDK's `generateText`, whatever the provider: what `ctx.model.run`
 * and model agents use. Retries are the pipeline's job (breaker, queue backoff), so the SDK's own are
 * off; provider failures become `agent_error` (transient) or `timeout`.
 */
import { generateText, jsonSchema, NoObjectGeneratedError, Output, type ModelMessage } from "ai";
import { SwitchboardError } from "../message/errors";
import { ModelConfig } from "../registry/entry";
import { type ModelEnv, modelLabel, resolveLanguageModel } from "./providers";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface RunOptions extends Partial<ModelConfig> {
  /** Ask for JSON output; an object is the JSON Schema the answer should match. */
  json?: boolean | Record<string, unknown>;
  temperature?: number;
  max_tokens?: number;
  signal?: AbortSignal;
}

export interface ModelResult {
  text: string;
  /** The parsed answer when `json` was asked for and the text parsed. */
  json?: unknown;
  /** Why `json` is missing although it was asked for. */
  json_error?: string;
  /** `provider:model`. */
  model: string;
  usage: { input_tokens: number | null; output_tokens: number | null };
  finish_reason: string;
}

export interface ModelClient {
  /** Runs the model on a prompt or a conversation; options override the agent's model config. */
  run(messages: string | ChatMessage[], options?: RunOptions): Promise<ModelResult>;
}

/** A client bound to an agent's model config (or the local default) and the Worker's bindings. */
export function modelClient(base: ModelConfig | undefined, env: ModelEnv, signal?: AbortSignal): ModelClient {
  return {
    run: (messages, options = {}) => runModel(base, env, messages, { signal, ...options }),
  };
}

export async function runModel(base: ModelConfig | undefined, env: ModelEnv, messages: string | ChatMessage[], options: RunOptions = {}): Promise<ModelResult> {
  const { json, temperature, max_tokens, signal, ...overrides } = options;
  const parsed = ModelConfig.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SwitchboardError("agent_error", `model.${issue?.path.join(".") || "config"}: ${issue?.message}`, { transient: false });
  }
  const config = parsed.data;
  const conversation = typeof messages === "string" ? [{ role: "user" as const, content: messages }] : messages;
  const system = [config.system, ...conversation.filter((m) => m.role === "system").map((m) => m.content)].filter(Boolean).join("\n\n");
  const model = resolveLanguageModel(config, env);
  const label = modelLabel(config);
  try {
    const result = await generateText({
      model,
      ...(system ? { instructions: system } : {}),
      messages: conversation.filter((m) => m.role !== "system") as ModelMessage[],
      maxRetries: 0,
      ...(signal ? { abortSignal: signal } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(max_tokens !== undefined ? { maxOutputTokens: max_tokens } : {}),
      ...(json ? { output: Output.object({ schema: jsonSchema(typeof json === "object" ? json : { type: "object" }) }) } : {}),
    });
    return {
      text: result.text,
      ...(json ? { json: result.output } : {}),
      model: label,
      usage: { input_tokens: result.usage.inputTokens ?? null, output_tokens: result.usage.outputTokens ?? null },
      finish_reason: result.finishReason,
    };
  } catch (error) {
    if (NoObjectGeneratedError.isInstance(error) && typeof error.text === "string") {
      return {
        text: error.text,
        json_error: error.message,
        model: label,
        usage: { input_tokens: error.usage?.inputTokens ?? null, output_tokens: error.usage?.outputTokens ?? null },
        finish_reason: error.finishReason ?? "other",
      };
    }
    throw asModelError(error, label, signal);
  }
}

function asModelError(error: unknown, label: string, signal: AbortSignal | undefined): unknown {
  if (error instanceof SwitchboardError) return error;
  if (signal?.aborted)
    return signal.reason instanceof SwitchboardError ? signal.reason : new SwitchboardError("timeout", `model ${label} did not answer in time`);
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { statusCode?: unknown }).statusCode;
  const permanent = typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return new SwitchboardError("agent_error", `model ${label} failed${typeof status === "number" ? ` (${status})` : ""}: ${message}`, { transient: !permanent });
}

/**
 * A model run through the AI SDK's `generateText` — or `streamText` when the caller wants the
 * tokens as they come (`onDelta`) — whatever the provider: what `ctx.model.run` and model agents use. With `tools` or `handoffs` it is the SDK's own tool loop (`stopWhen:
 * isStepCount(max_steps)`) over other agents (lib/model/agent-tools.ts). Retries are the pipeline's
 * job (breaker, queue backoff), so the SDK's own are off; provider failures become `agent_error`
 * (transient) or `timeout`.
 */
import { z } from "@hono/zod-openapi";
import {
  generateText,
  isStepCount,
  jsonSchema,
  type LanguageModelUsage,
  NoObjectGeneratedError,
  Output,
  type ModelMessage,
  streamText,
  type ToolSet,
} from "ai";
import { AgentName, type Envelope, type Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";
import { ownCause } from "../protocols/bounded-body";
import { DEFAULT_MAX_STEPS, ModelConfig, ToolRef } from "../registry/entry";
import { agentToolSet, type Step, type ToolPorts } from "./agent-tools";
import type { InputRequest } from "../message/input-required";
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
  /** Agents the model may call as tools; each call passes the target's own pipeline. */
  tools?: string[];
  /** Agents the model may hand the conversation to; the target's reply comes back as `handoff`. */
  handoffs?: string[];
  /** Model calls at most, tool rounds included (1–32). @default 8 */
  max_steps?: number;
  /** What a handoff passes on. @default the conversation (a string prompt, or `{ messages }`) */
  handoff_with?: { content: unknown; metadata?: Metadata };
  /** Called with each tool call or handoff as it finishes. */
  onStep?: (step: Step) => void;
  /**
   * Streams the answer: the run goes through the AI SDK's `streamText` and each text chunk is
   * handed here as the model produces it (ignored with `json`, whose answer is only useful whole).
   */
  onDelta?: (text: string) => void;
}

const LoopOptions = z.object({
  tools: z.array(ToolRef).max(32).optional(),
  handoffs: z.array(AgentName).max(16).optional(),
  max_steps: z.number().int().min(1).max(32).optional(),
});

/**
 * The AI SDK's own telemetry is off: Switchboard logs and traces every model run and each tool call
 * itself, and registers no SDK integration. Left on, the SDK looks up a `node:diagnostics_channel`
 * tracing channel (nodejs_compat provides one) around the run, each step, each model call and each
 * tool call, with nothing subscribed: a tenth of a tool-loop request's worker CPU (bench/README.md).
 */
const SDK_TELEMETRY = { isEnabled: false } as const;

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
}

export interface ModelResult {
  text: string;
  /** The parsed answer when `json` was asked for and the text parsed. */
  json?: unknown;
  /** Why `json` is missing although it was asked for. */
  json_error?: string;
  /** `provider:model`. */
  model: string;
  /** Over all model calls of the run. */
  usage: Usage;
  /** "max_steps" when the loop stopped at `max_steps` with the model still calling tools. */
  finish_reason: string;
  /** With tools or handoffs: every tool call and handoff, in the order they finished. */
  steps?: Step[];
  /** With tools or handoffs: the usage of each model call. */
  step_usage?: Usage[];
  /** Set when the model handed off and the target answered: its reply is the answer. */
  handoff?: { agent: string; reply: Envelope };
  /** Set when the model called the built-in `need_input`: the question it asks its caller. */
  input_required?: InputRequest;
}

export interface ModelClient {
  /** Runs the model on a prompt or a conversation; options override the agent's model config. */
  run(messages: string | ChatMessage[], options?: RunOptions): Promise<ModelResult>;
}

/**
 * A client bound to an agent's model config (or the local default) and the Worker's bindings;
 * `tools` is how its tool calls reach the registry and other agents (none: no tools).
 */
export function modelClient(base: ModelConfig | undefined, env: ModelEnv, signal?: AbortSignal, tools?: ToolPorts): ModelClient {
  return {
    run: (messages, options = {}) => runModel(base, env, messages, { signal, ...options }, tools),
  };
}

export async function runModel(
  base: ModelConfig | undefined,
  env: ModelEnv,
  messages: string | ChatMessage[],
  options: RunOptions = {},
  ports?: ToolPorts,
): Promise<ModelResult> {
  const { json, temperature, max_tokens, signal, tools, handoffs, max_steps, handoff_with, onStep, onDelta, ...overrides } = options;
  const config = validConfig(base, overrides);
  const loopOptions = LoopOptions.safeParse({ tools, handoffs, max_steps });
  if (!loopOptions.success) {
    const issue = loopOptions.error.issues[0];
    throw new SwitchboardError("agent_error", `${issue?.path.join(".")}: ${issue?.message}`, { transient: false });
  }
  const conversation = typeof messages === "string" ? [{ role: "user" as const, content: messages }] : messages;
  const system = [config.system, ...conversation.filter((m) => m.role === "system").map((m) => m.content)].filter(Boolean).join("\n\n");
  const model = resolveLanguageModel(config, env);
  const label = modelLabel(config);
  const usesTools = (tools?.length ?? 0) + (handoffs?.length ?? 0) > 0;
  if (usesTools && !ports) throw new SwitchboardError("agent_error", "tools: this model client cannot reach other agents", { transient: false });
  const loop =
    usesTools && ports
      ? await agentToolSet(ports, {
          tools: tools ?? [],
          handoffs: handoffs ?? [],
          handoff: handoff_with ?? { content: typeof messages === "string" ? messages : { messages } },
          ...(signal ? { signal } : {}),
          ...(onStep ? { onStep } : {}),
        })
      : null;
  try {
    const settings = {
      model,
      ...(system ? { instructions: system } : {}),
      messages: conversation.filter((m) => m.role !== "system") as ModelMessage[],
      maxRetries: 0,
      telemetry: SDK_TELEMETRY,
      ...(signal ? { abortSignal: signal } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(max_tokens !== undefined ? { maxOutputTokens: max_tokens } : {}),
      ...(loop
        ? {
            tools: loop.tools,
            // A handoff ends the loop: the target's answer is the answer, the model has nothing to add.
            stopWhen: [isStepCount(max_steps ?? DEFAULT_MAX_STEPS), () => loop.handoff() !== undefined || loop.asked() !== undefined],
            onStepEnd: (step: Parameters<typeof loop.onStepEnd>[0]) => loop.onStepEnd(step),
          }
        : {}),
    };
    const output = json ? { output: Output.object({ schema: jsonSchema(typeof json === "object" ? json : { type: "object" }) }) } : {};
    const result = onDelta && !json ? await streamed(settings, onDelta, signal) : await generateText({ ...settings, ...output });
    const handoff = loop?.handoff();
    const asked = loop?.asked();
    const stoppedEarly = loop !== null && !handoff && !asked && result.finishReason === "tool-calls";
    return {
      text: result.text,
      ...(json ? { json: result.output } : {}),
      model: label,
      usage: usageOf(result.usage),
      finish_reason: handoff ? "handoff" : asked ? "input_required" : stoppedEarly ? "max_steps" : result.finishReason,
      ...(loop ? { steps: loop.steps, step_usage: result.steps.map((step) => usageOf(step.usage)) } : {}),
      ...(handoff ? { handoff } : {}),
      ...(asked ? { input_required: asked } : {}),
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

/**
 * Model configs as validated, by the config object. A model agent's runs all pass its entry's
 * `model`, one object for as long as the entry is loaded, so it is checked once, not on every call;
 * a run with overrides is checked as it comes.
 */
const validConfigs = new WeakMap<ModelConfig, ModelConfig>();

function validConfig(base: ModelConfig | undefined, overrides: Partial<ModelConfig>): ModelConfig {
  const plain = base !== undefined && Object.keys(overrides).length === 0;
  const kept = plain ? validConfigs.get(base) : undefined;
  if (kept) return kept;
  const parsed = ModelConfig.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SwitchboardError("agent_error", `model.${issue?.path.join(".") || "config"}: ${issue?.message}`, { transient: false });
  }
  if (plain) validConfigs.set(base, parsed.data);
  return parsed.data;
}

/** A `streamText` run read to its end, each text chunk to `onDelta`: the parts of its result `runModel` reads. */
async function streamed(settings: Parameters<typeof streamText<ToolSet>>[0], onDelta: (text: string) => void, signal: AbortSignal | undefined) {
  // Failures come back as the stream's error part, where the original error (and its status) is kept.
  const run = streamText({ ...settings, onError: () => {} });
  for await (const part of run.fullStream) {
    if (part.type === "text-delta") onDelta(part.text);
    else if (part.type === "error") throw part.error;
  }
  signal?.throwIfAborted();
  const [text, usage, finishReason, steps] = await Promise.all([run.text, run.usage, run.finishReason, run.steps]);
  return { text, usage, finishReason, steps, output: undefined };
}

function usageOf(usage: LanguageModelUsage): Usage {
  return { input_tokens: usage.inputTokens ?? null, output_tokens: usage.outputTokens ?? null };
}

function asModelError(error: unknown, label: string, signal: AbortSignal | undefined): unknown {
  // A refused redirect hop or an answer over the bound, wrapped by the SDK: ours says what happened.
  const own = ownCause(error);
  if (own) return own;
  if (signal?.aborted)
    return signal.reason instanceof SwitchboardError ? signal.reason : new SwitchboardError("timeout", `model ${label} did not answer in time`);
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { statusCode?: unknown }).statusCode;
  const permanent = typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return new SwitchboardError("agent_error", `model ${label} failed${typeof status === "number" ? ` (${status})` : ""}: ${message}`, { transient: !permanent });
}

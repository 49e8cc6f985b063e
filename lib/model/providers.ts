/**
 * Provider selection: a registry `model` config becomes an AI SDK language model.
 *
 *   local              LocalLanguageModel, offline and deterministic (the default)
 *   openai-compatible  @ai-sdk/openai-compatible at `base_url` (OpenAI, Ollama, vLLM, LM Studio…),
 *                      API key from the Worker secret named by `api_key_secret`
 *   workers-ai         workers-ai-provider over the `AI` binding (see docs/agents.md "Workers AI":
 *                      the binding is commented out in wrangler.toml because it needs a Cloudflare login
 *                      even under `wrangler dev` and the test pool)
 *
 * Misconfiguration is a permanent `agent_error` naming the field, so it never trips the breaker.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createWorkersAI } from "workers-ai-provider";
import { SwitchboardError } from "../message/errors";
import type { ModelConfig } from "../registry/entry";
import { DEFAULT_MAX_REPLY_BYTES } from "../protocols/bounded-body";
import { outboundFetch } from "../protocols/outbound-fetch";
import { checkOutboundUrl } from "../security/ssrf";
import { DEFAULT_LOCAL_MODEL, isLocalModel, LocalLanguageModel } from "./local-model";

export interface ModelEnv {
  /** Worker bindings and secrets: `AI`, and the secret `api_key_secret` names. */
  bindings: Readonly<Record<string, unknown>>;
  /** SWITCHBOARD_DEV: allows http:// and loopback base URLs. */
  dev: boolean;
  /** Largest provider answer read, in bytes (SWITCHBOARD_MAX_REPLY_BYTES). @default 1048576 */
  maxReplyBytes?: number;
}

/** A model config's readable name, e.g. `local:local-echo`. */
export function modelLabel(config: ModelConfig): string {
  return `${config.provider}:${config.model ?? DEFAULT_LOCAL_MODEL}`;
}

export function resolveLanguageModel(config: ModelConfig, env: ModelEnv): LanguageModel {
  switch (config.provider) {
    case "local": {
      const id = config.model ?? DEFAULT_LOCAL_MODEL;
      if (!isLocalModel(id)) throw misconfigured(`model.model: the local provider has no model "${id}"`);
      return new LocalLanguageModel(id);
    }
    case "openai-compatible":
      return openAICompatible(config, env);
    case "workers-ai":
      return workersAI(config, env);
  }
}

/** Built OpenAI-compatible models kept per isolate, by Worker bindings, then by what the model is built from. */
const builtModels = new WeakMap<object, Map<string, LanguageModel>>();
/** Models kept per bindings object, the oldest dropped first. @default 64 */
const MAX_BUILT_MODELS = 64;

/**
 * The model of `config`, built once per isolate rather than per call: the provider and its model
 * hold only their settings (each call passes its own messages and signal), and building them
 * again — the provider, its fetch guard, the model — was CPU in front of every model call's fetch.
 */
function openAICompatible(config: ModelConfig, env: ModelEnv): LanguageModel {
  const apiKey = apiKeyOf(config, env);
  const key = JSON.stringify([config.base_url, config.model, apiKey ?? null, env.dev, env.maxReplyBytes ?? null]);
  let models = builtModels.get(env.bindings);
  if (!models) {
    models = new Map();
    builtModels.set(env.bindings, models);
  }
  const kept = models.get(key);
  if (kept) return kept;
  const model = buildOpenAICompatible(config as ModelConfig & { base_url: string; model: string }, env, apiKey);
  if (models.size >= MAX_BUILT_MODELS) models.delete(models.keys().next().value as string);
  models.set(key, model);
  return model;
}

/** The API key `api_key_secret` names, checked before anything is built or kept. */
function apiKeyOf(config: ModelConfig, env: ModelEnv): string | undefined {
  if (!config.base_url) throw misconfigured('model.base_url: required for provider "openai-compatible"');
  if (!config.model) throw misconfigured('model.model: required for provider "openai-compatible"');
  const check = checkOutboundUrl(config.base_url, { dev: env.dev });
  if (!check.ok) throw misconfigured(`model.base_url: ${check.reason}`);
  if (!config.api_key_secret) return undefined;
  const secret = env.bindings[config.api_key_secret];
  if (typeof secret !== "string" || secret === "") {
    throw misconfigured(`model.api_key_secret: the secret ${config.api_key_secret} is not set (wrangler secret put ${config.api_key_secret})`);
  }
  return secret;
}

function buildOpenAICompatible(config: ModelConfig & { base_url: string; model: string }, env: ModelEnv, apiKey: string | undefined): LanguageModel {
  const provider = createOpenAICompatible({
    name: "openai-compatible",
    baseURL: config.base_url.replace(/\/+$/, ""),
    includeUsage: true,
    supportsStructuredOutputs: true,
    ...(apiKey ? { apiKey } : {}),
    // The SDK would let the platform follow redirects unseen: every hop is re-checked here instead.
    fetch: outboundFetch({ dev: env.dev, maxBytes: env.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES, redirects: "follow", who: `model ${config.model}` }).fetch,
  });
  return provider.chatModel(config.model);
}

function workersAI(config: ModelConfig, env: ModelEnv): LanguageModel {
  const binding = env.bindings.AI as Ai | undefined;
  if (!binding || typeof (binding as { run?: unknown }).run !== "function") {
    throw misconfigured('model.provider: "workers-ai" needs the AI binding; add [ai] binding = "AI" to wrangler.toml (docs/agents.md, "Workers AI")');
  }
  if (!config.model) throw misconfigured('model.model: required for provider "workers-ai"');
  return createWorkersAI({ binding })(config.model);
}

function misconfigured(detail: string): SwitchboardError {
  return new SwitchboardError("agent_error", detail, { transient: false });
}

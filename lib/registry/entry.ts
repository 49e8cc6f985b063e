/**
 * Registry entries (docs/api.md "Registry entries"): the schema that validates `PUT /agents/:name`,
 * the defaults every entry is completed with, and the merge of code-agent overrides.
 */
import { z } from "@hono/zod-openapi";
import { FlowConfig } from "../flow/flow-config";
import { AgentName } from "../message/envelope";
import { LOCAL_MODELS } from "./local-model-ids";
import { SigningSecret, WebhookSecrets } from "../security/agent-secrets";
import { InputSchema, type JsonSchema } from "./input-schema";

const Semver = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, "version must be semver, e.g. 1.2.0");
export const Word = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters");

export const Limits = z.strictObject({
  /** @default 10 */
  max_concurrency: z.number().int().min(1).max(1000).default(10),
  /** @default 30000 */
  timeout_ms: z.number().int().min(1).max(300_000).default(30_000),
  /** @default 3 */
  max_retries: z.number().int().min(0).max(20).default(3),
  /** @default 1000 */
  retry_delay_ms: z.number().int().min(0).max(3_600_000).default(1000),
  /** @default 300000 */
  max_retry_delay_ms: z.number().int().min(0).max(43_200_000).default(300_000),
  /** How long a request that asked for input waits for the answer before it ends `timed_out`. @default 86400000 (24 h), at most 30 days */
  input_timeout_ms: z.number().int().min(1000).max(2_592_000_000).default(86_400_000),
});
export type Limits = z.infer<typeof Limits>;

export const BreakerConfig = z.strictObject({
  /** @default 5 */
  failure_threshold: z.number().int().min(1).max(1000).default(5),
  /** @default 60000 */
  recovery_timeout_ms: z.number().int().min(1).max(86_400_000).default(60_000),
  /** Optional sliding failure-rate mode: open when ≥ rate of ≥ min_calls within window_ms failed. */
  failure_rate: z
    .strictObject({
      rate: z.number().gt(0).max(1),
      min_calls: z.number().int().min(1).max(10_000),
      window_ms: z.number().int().min(1000).max(3_600_000),
    })
    .optional(),
});
export type BreakerConfig = z.infer<typeof BreakerConfig>;

export const BatchConfig = z.strictObject({
  /** @default 10 */
  size: z.number().int().min(1).max(100).default(10),
  /** @default 1000 */
  timeout_ms: z.number().int().min(1).max(60_000).default(1000),
});
export type BatchConfig = z.infer<typeof BatchConfig>;

export const ModelConfig = z
  .strictObject({
    /** @default "local" */
    provider: z.enum(["openai-compatible", "workers-ai", "local"]).default("local"),
    /** openai-compatible only: the API root, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
    base_url: z.string().url().max(2048).optional(),
    /** Required for openai-compatible and workers-ai; for local one of ./local-model-ids.ts LOCAL_MODELS. @default "local-echo" */
    model: z.string().min(1).max(256).optional(),
    system: z.string().max(16_384).optional(),
    /** Name of the Worker secret holding the provider's API key. */
    api_key_secret: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/, "api_key_secret must name a secret, e.g. OPENAI_API_KEY")
      .optional(),
  })
  .superRefine((config, ctx) => {
    const problem = modelConfigProblem(config);
    if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
  })
  .openapi("ModelConfig");
export type ModelConfig = z.infer<typeof ModelConfig>;

/** What each provider requires, naming the field (`model.<field>`). */
function modelConfigProblem(config: {
  provider: string;
  base_url?: string;
  model?: string;
  api_key_secret?: string;
}): { field: string; message: string } | null {
  switch (config.provider) {
    case "openai-compatible":
      if (!config.base_url) return { field: "base_url", message: 'base_url is required for provider "openai-compatible"' };
      if (!config.model) return { field: "model", message: 'model is required for provider "openai-compatible"' };
      return null;
    case "workers-ai":
      if (!config.model) return { field: "model", message: 'model is required for provider "workers-ai", e.g. "@cf/meta/llama-3.1-8b-instruct"' };
      if (config.base_url) return { field: "base_url", message: 'base_url is not used by provider "workers-ai" (it calls the AI binding)' };
      return null;
    default:
      if (config.model && !(LOCAL_MODELS as readonly string[]).includes(config.model)) {
        return { field: "model", message: `the local provider has models ${LOCAL_MODELS.join(", ")}` };
      }
      if (config.base_url) return { field: "base_url", message: 'base_url is not used by provider "local"' };
      return null;
  }
}

/** @default 8 */
export const DEFAULT_MAX_STEPS = 8;

/**
 * A model agent's tool: an agent name, or (MCP agents) `"<agent>/<tool>"`. Checked against the
 * registry when the config is stored (functions/routes/agents.ts).
 */
export const ToolRef = z
  .string()
  .regex(
    /^(?:need_input|[a-z0-9][a-z0-9-]{0,62}(?:\/[A-Za-z0-9_.-]{1,128})?)$/,
    'tools name agents ("summarizer"), MCP tools ("<agent>/<tool>") or the built-in "need_input"',
  )
  .openapi({ example: "summarizer" });

export const AgentKind = z.enum(["code", "http", "a2a", "model", "mcp"]);
export type AgentKind = z.infer<typeof AgentKind>;

/** What `PUT /agents/:name` accepts. `name` comes from the path. */
export const AgentConfig = z
  .strictObject({
    kind: AgentKind.optional(),
    description: z
      .string()
      .max(2000)
      .regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u, "description must not contain control characters other than tab and newline")
      .optional(),
    version: Semver.optional(),
    capabilities: z.array(Word).max(64).optional(),
    requires: z.array(Word).max(64).optional(),
    handles: z.array(Word).max(64).optional(),
    next: AgentName.nullable().optional(),
    url: z.string().url().max(2048).optional(),
    model: ModelConfig.optional(),
    acl: z.strictObject({ allow: z.array(z.union([AgentName, z.literal("*")])).max(256) }).optional(),
    require_handshake: z.boolean().optional(),
    limits: Limits.partial().optional(),
    breaker: BreakerConfig.partial().optional(),
    batch: BatchConfig.partial().nullable().optional(),
    /** Spread a stateless agent over this many Durable Objects. @default 1 */
    shards: z.number().int().min(1).max(64).optional(),
    /**
     * The message log of a hot agent: every failure is kept, and `sample` of the successes (by
     * trace, so a kept flow is whole across agents). Metrics count every message. @default { sample: 1 }
     */
    log: z.strictObject({ sample: z.number().gt(0).max(1).optional() }).optional(),
    signing_secret: SigningSecret.optional(),
    webhook_secrets: WebhookSecrets.optional(),
    /** MCP agents: the Worker secret holding the headers every request to the server carries. */
    headers_secret: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/, "headers_secret must name a secret, e.g. MCP_GITHUB_AUTH")
      .optional(),
    /** JSON Schema of the content this agent accepts; describes it as a tool to model agents. */
    input_schema: InputSchema.optional(),
    /** Model agents: agents the model may call, each through the target's own pipeline. */
    tools: z.array(ToolRef).max(32).optional(),
    /** Model agents: agents the model may hand the conversation to; the target's reply is the reply. */
    handoffs: z.array(AgentName).max(16).optional(),
    /** Model agents: model calls per message, tool rounds included. @default 8 */
    max_steps: z.number().int().min(1).max(32).optional(),
    /** Per-key concurrency, rate and debounce of async deliveries (docs/time-and-flow.md); null removes it. */
    flow: FlowConfig.nullable().optional(),
    /** Read-only: reads show when the configuration was last stored, so a read can be PUT back; the server stamps its own. */
    updated_at: z.string().max(64).optional(),
  })
  .openapi("AgentConfig");
export type AgentConfig = z.infer<typeof AgentConfig>;

/** What the registry keeps of a remote A2A agent's card (fetched and checked at registration). */
export interface A2aRemote {
  card_url: string;
  /** The card's JSON-RPC interface URL. */
  endpoint: string;
  protocol_version: string;
  card_name: string;
  tenant?: string;
  /** The card says it streams (`capabilities.streaming`): a streaming caller is served by `SendStreamingMessage`. */
  streaming?: boolean;
}

/** One tool of a remote MCP server, as its `tools/list` described it. */
export interface McpTool {
  name: string;
  description: string;
  input_schema: JsonSchema;
}

/** What the registry keeps of a remote MCP server: its tools, listed at PUT and on refresh. */
export interface McpRemote {
  server: { name: string; version: string };
  tools: McpTool[];
  listed_at: string;
}

/** A config as the Durable Object stores it: what PUT accepted, plus what the server derived. */
/** `updated_at`: when the configuration was last stored (the A2A card's Last-Modified). */
export type StoredConfig = AgentConfig & { a2a?: A2aRemote; mcp?: McpRemote; updated_at?: string };

export interface AgentEntry {
  name: string;
  kind: AgentKind;
  description: string;
  version: string;
  capabilities: string[];
  requires: string[];
  handles: string[];
  next: string | null;
  url?: string;
  model?: ModelConfig;
  a2a?: A2aRemote;
  /** MCP agents: the server's tools, as last listed. */
  mcp?: McpRemote;
  headers_secret?: string;
  acl: { allow: string[] };
  require_handshake: boolean;
  limits: Limits;
  breaker: BreakerConfig;
  batch: BatchConfig | null;
  shards: number;
  /** Fraction of successes the message log keeps (failures: all). */
  log: { sample: number };
  input_schema?: JsonSchema;
  /** Model agents only (always set on them). */
  tools?: string[];
  handoffs?: string[];
  max_steps?: number;
  /** Flow control of async deliveries, when configured. */
  flow?: FlowConfig;
  updated_at?: string;
  /** Write-only (lib/security/agent-secrets.ts): never leaves the agent's Durable Object unredacted. */
  signing_secret?: string;
  webhook_secrets?: WebhookSecrets;
}

export const DEFAULT_LIMITS: Limits = Limits.parse({});
export const DEFAULT_BREAKER: BreakerConfig = BreakerConfig.parse({});

/** A complete entry from a config; `base` supplies values the config leaves out (code agents). */
export function completeEntry(name: string, config: StoredConfig, base?: AgentEntry): AgentEntry {
  const kind = base?.kind ?? config.kind ?? (config.model ? "model" : "http");
  const entry: AgentEntry = {
    name,
    kind,
    description: config.description ?? base?.description ?? "",
    version: config.version ?? base?.version ?? "1.0.0",
    capabilities: config.capabilities ?? base?.capabilities ?? [],
    requires: config.requires ?? base?.requires ?? [],
    handles: config.handles ?? base?.handles ?? [],
    next: config.next !== undefined ? config.next : (base?.next ?? null),
    acl: { allow: config.acl?.allow ?? base?.acl.allow ?? ["*"] },
    require_handshake: config.require_handshake ?? base?.require_handshake ?? false,
    limits: { ...(base?.limits ?? DEFAULT_LIMITS), ...stripUndefined(config.limits ?? {}) },
    breaker: { ...(base?.breaker ?? DEFAULT_BREAKER), ...stripUndefined(config.breaker ?? {}) },
    batch: completeBatch(config.batch, base?.batch ?? null),
    shards: config.shards ?? base?.shards ?? 1,
    log: { sample: config.log?.sample ?? base?.log?.sample ?? 1 },
  };
  const url = config.url ?? base?.url;
  if (url !== undefined) entry.url = url;
  const model = config.model ?? base?.model;
  if (model !== undefined) entry.model = ModelConfig.parse(model);
  if (config.signing_secret !== undefined) entry.signing_secret = config.signing_secret;
  if (config.webhook_secrets !== undefined) entry.webhook_secrets = config.webhook_secrets;
  if (config.a2a !== undefined && kind === "a2a") entry.a2a = config.a2a;
  if (config.mcp !== undefined && kind === "mcp") entry.mcp = config.mcp;
  if (config.headers_secret !== undefined) entry.headers_secret = config.headers_secret;
  const flow = config.flow === null ? undefined : (config.flow ?? base?.flow);
  if (flow !== undefined) entry.flow = flow;
  const inputSchema = config.input_schema ?? base?.input_schema;
  if (inputSchema !== undefined) entry.input_schema = inputSchema;
  if (kind === "model") {
    entry.tools = config.tools ?? base?.tools ?? [];
    entry.handoffs = config.handoffs ?? base?.handoffs ?? [];
    entry.max_steps = config.max_steps ?? base?.max_steps ?? DEFAULT_MAX_STEPS;
  }
  if (config.updated_at) entry.updated_at = config.updated_at;
  return entry;
}

function completeBatch(batch: AgentConfig["batch"], base: BatchConfig | null): BatchConfig | null {
  if (batch === undefined) return base;
  if (batch === null) return null;
  return BatchConfig.parse({ ...(base ?? {}), ...stripUndefined(batch) });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Checks that need the whole config: what each kind requires. `definedKind` is the kind of the agent
 * of that name in functions/agents/ (null when there is none). Returns a message naming the field.
 */
export function configProblem(config: AgentConfig, definedKind: AgentKind | null): string | null {
  if (definedKind) {
    if (config.kind !== undefined && config.kind !== definedKind) return `kind: ${definedKind} agents defined in functions/agents/ keep their kind`;
    const fixed = CODE_FIELDS.find((field) => config[field] !== undefined);
    if (fixed) {
      return `${fixed}: an agent defined in functions/agents/ keeps its handler, model and tools; only acl, limits, breaker, batch, input_schema and metadata may be overridden`;
    }
    return null;
  }
  const kind = config.kind ?? (config.model ? "model" : "http");
  if (kind === "code") return "kind: code agents are defined in functions/agents/, not through the registry";
  if ((kind === "http" || kind === "a2a" || kind === "mcp") && !config.url) return `url: required for kind "${kind}"`;
  if (config.headers_secret !== undefined && kind !== "mcp") return `headers_secret: only MCP agents send headers from a secret (kind is "${kind}")`;
  if (kind === "model" && !config.model) return 'model: required for kind "model"';
  return toolsProblem(kind, config) ?? (config.batch ? batchProblem(kind, config) : null);
}

/** What a PUT on an agent defined in code may not change. */
const CODE_FIELDS = ["url", "model", "tools", "handoffs", "max_steps", "headers_secret"] as const;

/** Tools and handoffs: model agents only, each named once, never the agent itself (checked by the caller). */
function toolsProblem(kind: AgentKind, config: AgentConfig): string | null {
  for (const field of ["tools", "handoffs", "max_steps"] as const) {
    if (config[field] !== undefined && kind !== "model") return `${field}: only model agents use tools and handoffs (kind is "${kind}")`;
  }
  const seen = new Set<string>();
  for (const [field, names] of [
    ["tools", config.tools ?? []],
    ["handoffs", config.handoffs ?? []],
  ] as const) {
    for (const [i, name] of names.entries()) {
      if (seen.has(name)) return `${field}[${i}]: "${name}" is listed twice (a tool and a handoff are separate)`;
      seen.add(name);
    }
  }
  // One prompt answers a whole batch, but each message would need its own tool calls and steps.
  if (config.batch && (config.tools?.length || config.handoffs?.length)) {
    return "batch: a model agent with tools or handoffs cannot batch; each message runs its own tool loop";
  }
  return null;
}

/** Batching applies to model agents, and only works when a full batch fits the agent's limits. */
function batchProblem(kind: AgentKind, config: AgentConfig): string | null {
  if (kind !== "model") return `batch: only model agents batch messages (kind is "${kind}")`;
  const size = config.batch?.size ?? 10;
  const cap = config.limits?.max_concurrency ?? DEFAULT_LIMITS.max_concurrency;
  if (size > cap)
    return `batch.size: ${size} exceeds limits.max_concurrency ${cap}; every message waiting in a batch holds a slot, so the batch could never fill`;
  const wait = config.batch?.timeout_ms ?? 1000;
  const timeout = config.limits?.timeout_ms ?? DEFAULT_LIMITS.timeout_ms;
  if (wait >= timeout) return `batch.timeout_ms: ${wait} must be below limits.timeout_ms ${timeout}, or callers time out before their batch flushes`;
  return null;
}

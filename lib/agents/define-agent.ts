/**
 * Agents defined in code: `defineAgent({ name, ..., handle(message, ctx) })` in functions/agents/
 * is a code agent; a definition with a `model` and no `handle` is a model agent (its tools and
 * handoffs are other agents defined in code). The definition is validated eagerly so a typo fails at
 * startup, naming the field.
 */
import type { Envelope, Metadata } from "../message/envelope";
import { isAgentName } from "../message/limits";
import { AgentConfig, completeEntry, type AgentEntry } from "../registry/entry";
import type { StreamedReply } from "../streams/stream-sink";
import { askOutput } from "../message/input-required";
import { isNeedInput } from "./need-input";
import { NEED_INPUT_TOOL } from "../model/tool-refs";
import type { AgentContext } from "./context";

export interface AgentDefinition extends Omit<AgentConfig, "kind" | "url"> {
  name: string;
  /**
   * Runs inside the agent's Durable Object. Return the reply content, or `reply(content, metadata)`.
   * To stream, call `ctx.stream.write(chunk)` (and return nothing: the reply is what was written),
   * or return an async iterable of chunks. Leave it out, with a `model`, to define a model agent.
   */
  handle?(message: Envelope, ctx: AgentContext): unknown;
  /** Called with `reply` messages addressed to this agent that no pending `ctx.request` awaits. */
  onReply?(message: Envelope, ctx: AgentContext): unknown;
  /** Called with `event` messages when this agent observes another. */
  onEvent?(message: Envelope, ctx: AgentContext): unknown;
  /** A test fixture: served only where `SWITCHBOARD_DEV=1` (local development and tests), never deployed. */
  dev_only?: boolean;
}

const REPLY = Symbol.for("switchboard.reply");

export interface Reply {
  [REPLY]: true;
  content: unknown;
  metadata: Metadata;
}

/** A reply with metadata, for handlers that need more than content. */
export function reply(content: unknown, metadata: Metadata = {}): Reply {
  return { [REPLY]: true, content, metadata };
}

/** A message's content as text: strings as they are, anything else as its JSON. */
export function textOf(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

export function asReply(value: unknown): { content: unknown; metadata: Metadata } {
  if (isNeedInput(value)) return askOutput(value.request);
  if (value !== null && typeof value === "object" && REPLY in value) {
    const r = value as Reply;
    return { content: r.content, metadata: r.metadata };
  }
  return { content: value === undefined ? null : value, metadata: {} };
}

/**
 * A handler's answer as its call's output. An async iterable (an async generator, a
 * `ReadableStream`, the AI SDK's `textStream`) is streamed chunk by chunk, and the chunks are the
 * reply; a handler that wrote to `ctx.stream` and returned nothing answers with what it wrote.
 */
export async function handlerOutput(value: unknown, streamed: StreamedReply, signal: AbortSignal): Promise<{ content: unknown; metadata: Metadata }> {
  if (isAsyncIterable(value)) {
    const decoder = new TextDecoder();
    for await (const chunk of value) {
      if (signal.aborted) break;
      streamed.delta(chunk instanceof Uint8Array ? decoder.decode(chunk, { stream: true }) : chunk);
    }
    return { content: streamed.content(), metadata: {} };
  }
  if (value === undefined && streamed.written) return { content: streamed.content(), metadata: {} };
  return asReply(value);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

export function defineAgent(definition: AgentDefinition): AgentDefinition {
  if (!isAgentName(definition.name)) throw new TypeError(`defineAgent: name "${definition.name}" must match ^[a-z0-9][a-z0-9-]{0,62}$`);
  if (definition.handle === undefined ? !definition.model : typeof definition.handle !== "function") {
    throw new TypeError(`defineAgent(${definition.name}): handle must be a function (or give a model to define a model agent)`);
  }
  const { name, handle, onReply, onEvent, dev_only, ...config } = definition;
  if (handle && (config.tools || config.handoffs || config.max_steps)) {
    throw new TypeError(`defineAgent(${name}): tools, handoffs and max_steps belong to model agents; a handler passes them to ctx.model.run`);
  }
  const parsed = AgentConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`defineAgent(${name}): ${issue?.path.join(".") || "config"}: ${issue?.message}`);
  }
  return definition;
}

/** The registry entry a code agent's definition describes, before any PUT overrides. */
export function codeEntry(definition: AgentDefinition): AgentEntry {
  const { name, handle, onReply, onEvent, dev_only, ...config } = definition;
  const kind = handle ? "code" : "model";
  return { ...completeEntry(name, { ...config, kind }), kind };
}

export type CodeAgents = ReadonlyMap<string, AgentDefinition>;

/** The code agents a deployment serves: without its `dev_only` fixtures unless `SWITCHBOARD_DEV` is "1". */
export function servedAgents(agents: CodeAgents, env: { SWITCHBOARD_DEV?: string }): CodeAgents {
  if (env.SWITCHBOARD_DEV === "1") return agents;
  return new Map([...agents].filter(([, d]) => !d.dev_only));
}

export function codeAgentMap(definitions: AgentDefinition[]): CodeAgents {
  const map = new Map<string, AgentDefinition>();
  for (const d of definitions) {
    if (map.has(d.name)) throw new TypeError(`defineAgent: two code agents are named "${d.name}"`);
    map.set(d.name, d);
  }
  // Configured agents may come and go; an agent in code may only rely on others in code.
  for (const d of definitions) {
    for (const field of ["tools", "handoffs"] as const) {
      for (const [i, ref] of (d[field] ?? []).entries()) {
        if (ref === NEED_INPUT_TOOL) continue;
        if (ref === d.name || !map.has(ref)) throw new TypeError(`defineAgent(${d.name}): ${field}[${i}]: "${ref}" is not another agent defined in code`);
      }
    }
  }
  return map;
}

/**
 * A model agent's `tools` name agents (`"summarizer"`) or one tool of an MCP agent
 * (`"tools/add"`). Each must exist when the config is stored, so a typo is a 400 naming the field
 * rather than a tool error on every call. (Agents removed later are tool errors at call time:
 * lib/model/agent-tools.ts.) Models see each tool under a name their APIs accept
 * (`modelToolName`), since providers allow only `[A-Za-z0-9_-]{1,64}` and a ref has a `/`.
 */
import type { AgentConfig, AgentKind } from "../registry/entry";

/** The built-in tool a model asks its caller with (lib/model/agent-tools.ts): listed in `tools`, no agent behind it. */
export const NEED_INPUT_TOOL = "need_input";

/** A tool ref split: the agent called, and the MCP tool it is asked to run, if any. */
export interface ToolRefParts {
  agent: string;
  tool?: string;
}

export function parseToolRef(ref: string): ToolRefParts {
  const slash = ref.indexOf("/");
  return slash < 0 ? { agent: ref } : { agent: ref.slice(0, slash), tool: ref.slice(slash + 1) };
}

const MODEL_NAME_MAX = 64;

/**
 * The name a model calls `ref` by: an agent's name as it is; `agent/tool` as `agent__tool`, other
 * characters as `_`, and a name over 64 characters cut, with a hash of the ref to keep it unique.
 */
export function modelToolName(ref: string): string {
  const { agent, tool } = parseToolRef(ref);
  if (tool === undefined) return agent;
  const name = `${agent}__${tool.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return name.length <= MODEL_NAME_MAX ? name : `${name.slice(0, MODEL_NAME_MAX - 9)}_${fnv1a(ref)}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** What the check needs to know of a named agent: its kind, and an MCP agent's tool names. */
export interface ToolTarget {
  kind: AgentKind;
  tools?: readonly string[];
}

/** The first problem with `config`'s tools and handoffs, naming the field; null when there is none. */
export async function toolRefsProblem(
  self: string,
  config: Pick<AgentConfig, "tools" | "handoffs">,
  lookup: (agent: string) => Promise<ToolTarget | null>,
): Promise<string | null> {
  const refs = [
    // The built-in question tool names no agent (lib/model/agent-tools.ts).
    ...(config.tools ?? []).map((ref, i) => ({ field: `tools[${i}]`, ref })).filter(({ ref }) => ref !== NEED_INPUT_TOOL),
    ...(config.handoffs ?? []).map((ref, i) => ({ field: `handoffs[${i}]`, ref })),
  ];
  const targets = await Promise.all(refs.map(({ ref }) => lookup(parseToolRef(ref).agent)));
  const modelNames = new Map<string, string>();
  for (const [i, { field, ref }] of refs.entries()) {
    const { agent, tool } = parseToolRef(ref);
    if (agent === self) return `${field}: ${self} cannot call itself as a tool`;
    const target = targets[i];
    if (!target) return `${field}: no agent named ${agent}`;
    if (tool !== undefined && target.kind !== "mcp") return `${field}: "${ref}" names a tool of an MCP server, but ${agent} is a ${target.kind} agent`;
    if (tool !== undefined && !target.tools?.includes(tool)) {
      return `${field}: the MCP agent ${agent} has no tool ${tool} (tools: ${target.tools?.join(", ") || "none"})`;
    }
    const name = modelToolName(ref);
    const clash = modelNames.get(name);
    if (clash !== undefined && clash !== ref) return `${field}: "${ref}" and "${clash}" reach the model under the same name ${name}`;
    modelNames.set(name, ref);
  }
  return null;
}

/**
 * How a model agent learns what its tools are: each tool's registry entry (description and
 * input schema; for `"<mcp agent>/<tool>"` the tool as the server listed it), looked up in the
 * target's own Durable Object and kept for a short while, so a
 * model call does not pay one lookup per tool. A change to a tool's entry reaches the models that
 * use it within `ttlMs`; a tool removed meanwhile is still offered, and calling it is a tool error.
 */
import type { AgentEntry } from "../registry/entry";
import type { ToolDescription } from "./agent-tools";

/** What a tool is described by: its agent's entry, or (`tool` given) one tool an MCP agent listed; null when it has none such. */
export function toolDescription(entry: AgentEntry, tool: string | undefined): ToolDescription | null {
  if (tool === undefined) return entry.input_schema ? { description: entry.description, input_schema: entry.input_schema } : { description: entry.description };
  const listed = entry.mcp?.tools.find((t) => t.name === tool);
  return listed ? { description: listed.description, input_schema: listed.input_schema } : null;
}

/** @default 30000 */
export const TOOL_DESCRIPTION_TTL_MS = 30_000;

export class ToolCatalog {
  private readonly known = new Map<string, { description: ToolDescription | null; expires: number }>();

  constructor(
    private readonly lookup: (agent: string) => Promise<ToolDescription | null>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOOL_DESCRIPTION_TTL_MS,
  ) {}

  async describe(agent: string): Promise<ToolDescription | null> {
    const at = this.now();
    const cached = this.known.get(agent);
    if (cached && cached.expires > at) return cached.description;
    const description = await this.lookup(agent);
    if (this.known.size > 1000) this.known.clear();
    this.known.set(agent, { description, expires: at + this.ttlMs });
    return description;
  }
}

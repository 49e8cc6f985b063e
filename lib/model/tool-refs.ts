/**
 * A model agent's `tools` and `handoffs` must name agents that exist when the config is stored,
 * so a typo is a 400 naming the field rather than a tool error on every call. (Agents removed later
 * are tool errors at call time: lib/model/agent-tools.ts.)
 */
import type { AgentConfig, AgentKind } from "../registry/entry";

/** The first problem with `config`'s tools and handoffs, naming the field; null when there is none. */
export async function toolRefsProblem(
  self: string,
  config: Pick<AgentConfig, "tools" | "handoffs">,
  kindOf: (agent: string) => Promise<AgentKind | null>,
): Promise<string | null> {
  const refs = [
    ...(config.tools ?? []).map((ref, i) => ({ field: `tools[${i}]`, ref })),
    ...(config.handoffs ?? []).map((ref, i) => ({ field: `handoffs[${i}]`, ref })),
  ];
  const kinds = await Promise.all(refs.map(({ ref }) => kindOf(ref.split("/")[0] as string)));
  for (const [i, { field, ref }] of refs.entries()) {
    const [agent, tool] = ref.split("/");
    if (agent === self) return `${field}: ${self} cannot call itself as a tool`;
    const kind = kinds[i];
    if (!kind) return `${field}: no agent named ${agent}`;
    if (tool !== undefined) return `${field}: "${ref}" names a tool of an MCP server, but ${agent} is a ${kind} agent`;
  }
  return null;
}

/**
 * The card at the host's own `/.well-known/agent-card.json`, where A2A discovery starts from a bare
 * origin. A deployment serves many agents, each with its own card at
 * `/a2a/<name>/.well-known/agent-card.json`; unless a default agent is configured
 * (`SWITCHBOARD_A2A_AGENT`, whose card the host then serves), the host's card is a directory: one
 * skill per agent, naming the card to fetch, and no interface of its own to send messages to.
 */
import { type AgentCard, AgentCard as AgentCardCodec, type AgentSkill } from "@a2a-js/sdk";
import type { AgentEntry } from "../registry/entry";
import { A2A_PROTOCOL_VERSION } from "./card";

/** Skills listed at most; past it the description says how many more there are. */
export const DIRECTORY_CARD_MAX_AGENTS = 100;

export function directoryCardJson(entries: readonly AgentEntry[], origin: string): unknown {
  const listed = entries.slice(0, DIRECTORY_CARD_MAX_AGENTS);
  const more = entries.length - listed.length;
  const skills: AgentSkill[] = listed.map((e) => ({
    id: e.name,
    name: e.name,
    description: `${e.description || `Switchboard agent ${e.name}`} (card: ${origin}/a2a/${e.name}/.well-known/agent-card.json)`,
    tags: ["agent", ...e.capabilities],
    examples: [],
    inputModes: [],
    outputModes: [],
    securityRequirements: [],
  }));
  const card: AgentCard = {
    name: "Switchboard",
    description: `A directory of ${entries.length} agents; each has its own A2A card at ${origin}/a2a/<name>/.well-known/agent-card.json${more > 0 ? ` (${more} more not listed)` : ""}.`,
    version: A2A_PROTOCOL_VERSION,
    supportedInterfaces: [],
    provider: { organization: "Switchboard", url: origin },
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: [],
    defaultOutputModes: [],
    skills,
    signatures: [],
  };
  return AgentCardCodec.toJSON(card);
}

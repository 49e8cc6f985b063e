/**
 * The A2A v1.0 agent card of a Switchboard agent, generated from its registry entry: one
 * JSON-RPC interface at `<origin>/a2a/<name>`, Bearer auth (the same API keys as the HTTP API),
 * and one skill per capability and per chain type the agent handles.
 */
import { type AgentCard, type AgentSkill, AgentCard as AgentCardCodec } from "@a2a-js/sdk";
import type { AgentEntry } from "../registry/entry";

export const A2A_PROTOCOL_VERSION = "1.0";
export const A2A_BINDING = "JSONRPC";

/** What our agents accept and answer: text, or any JSON value as a data part. */
const MODES = ["text/plain", "application/json"];

const BEARER = "bearer";

export function a2aEndpoint(origin: string, name: string): string {
  return `${origin}/a2a/${name}`;
}

/** The card as the SDK's types (what `DefaultRequestHandler` is built with). */
export function agentCardOf(entry: AgentEntry, origin: string): AgentCard {
  return {
    name: entry.name,
    description: entry.description || `Switchboard agent ${entry.name}`,
    version: entry.version,
    supportedInterfaces: [{ url: a2aEndpoint(origin, entry.name), protocolBinding: A2A_BINDING, tenant: "", protocolVersion: A2A_PROTOCOL_VERSION }],
    provider: { organization: "Switchboard", url: origin },
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      [BEARER]: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: { scheme: "Bearer", bearerFormat: "Switchboard API key", description: "Authorization: Bearer <key>, the same keys as the HTTP API" },
        },
      },
    },
    securityRequirements: [{ schemes: { [BEARER]: { list: [] } } }],
    defaultInputModes: MODES,
    defaultOutputModes: MODES,
    skills: skillsOf(entry),
    signatures: [],
  };
}

/** The card as served over HTTP (the protocol's JSON form). */
export function agentCardJson(entry: AgentEntry, origin: string): unknown {
  return AgentCardCodec.toJSON(agentCardOf(entry, origin));
}

function skillsOf(entry: AgentEntry): AgentSkill[] {
  const skill = (id: string, name: string, description: string, tags: string[]): AgentSkill => ({
    id,
    name,
    description,
    tags,
    examples: [],
    inputModes: MODES,
    outputModes: MODES,
    securityRequirements: [],
  });
  const skills = entry.capabilities.map((c) => skill(c, c, `${entry.name} can ${c}`, [c, "capability"]));
  for (const type of entry.handles) {
    if (!entry.capabilities.includes(type)) skills.push(skill(type, type, `${entry.name} handles messages of type "${type}"`, [type, "handles"]));
  }
  // A card needs at least one skill to be useful to a client; an agent without declared
  // capabilities still answers messages.
  if (skills.length === 0) skills.push(skill("message", "message", entry.description || `send ${entry.name} a message`, ["message"]));
  return skills;
}

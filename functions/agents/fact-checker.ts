import { defineAgent } from "../../lib/agents/define-agent";

/**
 * Answers "verify" requests. It only talks to agents that have shaken hands with it and offered
 * the "research" capability at major version 2 (require_handshake + requires).
 */
export const factChecker = defineAgent({
  name: "fact-checker",
  description: "Verifies claims; requires a handshake from a version-2 agent with the research capability.",
  version: "2.1.0",
  capabilities: ["verify"],
  requires: ["research"],
  require_handshake: true,
  // Every caller's content must match it (anything else is refused with 400 before the handler
  // runs), and model agents see it as the tool's parameters.
  input_schema: {
    type: "object",
    properties: { claim: { type: "string", description: "the claim to verify, with its source" } },
    required: ["claim"],
  },
  handle(message) {
    const text = (message.content as { claim: string }).claim;
    // Deterministic stand-in for a real check: claims with a number and a source are "supported".
    const verdict = /\d/.test(text) && /\bsource\b|\baccording to\b/i.test(text) ? "supported" : "unverified";
    return { claim: text, verdict, request_type: message.metadata.request_type ?? null };
  },
});

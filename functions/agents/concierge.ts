import { defineAgent } from "../../lib/agents/define-agent";

/**
 * A model agent defined in code: no handler, a model and other agents as its tools. On the
 * offline `local-router` model it calls the tool whose name or description matches the request
 * and answers with its result; a support request is handed to the support chain, whose reply is
 * the reply. Every tool call is a call from `concierge` (ACL, handshake, breaker, log, trace), so
 * fact-checker's handshake gate applies to it like to anyone.
 */
export const concierge = defineAgent({
  name: "concierge",
  description: "Front desk: picks the agent for a request (summarize, count words, verify a claim) or hands support questions to triage.",
  version: "2.0.0",
  capabilities: ["concierge", "research"],
  model: {
    provider: "local",
    model: "local-router",
    system: "You are a concierge. Use a tool when one fits the request; hand billing and support questions to triage.",
  },
  tools: ["summarizer", "fact-checker", "wordcount"],
  handoffs: ["triage"],
  max_steps: 4,
});

import { defineAgent, textOf } from "../../lib/agents/define-agent";

/**
 * Head of the example support chain (triage → billing → tech-support). Invoke it with
 * `metadata.type`; it answers general questions and passes everything else down the chain.
 */
export const triage = defineAgent({
  name: "triage",
  description: "Support chain head: answers general questions, passes the rest to billing.",
  version: "1.0.0",
  capabilities: ["support"],
  handles: ["general"],
  next: "billing",
  handle: (message) => ({ team: "triage", answer: `Thanks for asking: ${preview(message.content)}` }),
});

export function preview(content: unknown): string {
  const text = textOf(content);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

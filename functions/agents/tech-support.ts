import { defineAgent } from "../../lib/agents/define-agent";
import { preview } from "./triage";

/** Tail of the example support chain: technical issues. A type nobody handles ends here with 422. */
export const techSupport = defineAgent({
  name: "tech-support",
  description: "Support chain tail: handles technical issues and bugs.",
  version: "1.0.0",
  capabilities: ["support", "technical"],
  handles: ["technical", "bug"],
  next: null,
  handle: (message) => ({ team: "tech-support", answer: `Opened a ticket for: ${preview(message.content)}` }),
});

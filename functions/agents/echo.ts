import { defineAgent } from "../../lib/agents/define-agent";

/** Answers with what it was sent. The smallest possible agent, and the benchmark target. */
export const echo = defineAgent({
  name: "echo",
  description: "Replies with the content it receives.",
  version: "1.0.0",
  capabilities: ["echo"],
  handle: (message) => message.content,
});

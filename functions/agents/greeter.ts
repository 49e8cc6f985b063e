import { defineAgent, textOf } from "../../lib/agents/define-agent";
import { SwitchboardError } from "../../lib/message/errors";

export const greeter = defineAgent({
  name: "greeter",
  description: "Greets its caller, with a summary of what they said.",
  version: "1.0.0",
  capabilities: ["greet"],
  async handle(message, ctx) {
    const text = textOf(message.content).trim();
    if (!text) throw new SwitchboardError("invalid_request", "content: say something to greet");
    const summary = await ctx.invoke("summarizer", text, { timeout_ms: 2000 });
    return { greeting: `hello, ${message.from ?? "admin"}`, summary: summary.content };
  },
});

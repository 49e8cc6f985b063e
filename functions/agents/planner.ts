import { defineAgent, textOf } from "../../lib/agents/define-agent";

/** An agent that calls another: it asks the summarizer, then plans one step per sentence. */
export const planner = defineAgent({
  name: "planner",
  description: "Plans work from a request; asks the summarizer for a summary first.",
  version: "1.0.0",
  capabilities: ["plan"],
  async handle(message, ctx) {
    const text = textOf(message.content);
    const summary = await ctx.invoke("summarizer", text);
    const steps = text
      .split(/(?<=[.!?])\s+/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s, i) => `${i + 1}. ${s}`);
    return { summary: summary.content, steps };
  },
});

import { defineAgent, textOf } from "../../lib/agents/define-agent";

/**
 * A code agent that lets a model pick among other agents: `ctx.model.run` with `tools` runs the
 * same tool loop as a model agent, every call from `dispatcher` through the target's pipeline. It
 * answers with the model's text and which tools were called, with what outcome.
 */
export const dispatcher = defineAgent({
  name: "dispatcher",
  description: "Lets its model pick summarizer or wordcount for a text (ctx.model.run with tools).",
  version: "1.0.0",
  capabilities: ["dispatch"],
  model: { provider: "local", model: "local-router" },
  async handle(message, ctx) {
    const result = await ctx.model.run(textOf(message.content), { tools: ["summarizer", "wordcount"], max_steps: 3 });
    return { answer: result.text, calls: (result.steps ?? []).map((step) => `${step.tool}:${step.outcome}`), usage: result.usage };
  },
});

import { defineAgent, textOf } from "../../lib/agents/define-agent";

/**
 * A code agent that asks a model: `ctx.model.run` uses the agent's `model` config. On the offline
 * local model it is deterministic; point `model` at openai-compatible or workers-ai for a real one.
 */
export const feedbackRouter = defineAgent({
  name: "feedback-router",
  description: "Routes customer feedback: asks its model for the sentiment, then picks a queue.",
  version: "1.0.0",
  capabilities: ["feedback", "sentiment"],
  model: { provider: "local", model: "local-sentiment", system: "Answer positive, negative or neutral." },
  async handle(message, ctx) {
    const text = textOf(message.content);
    const answer = await ctx.model.run(text, { max_tokens: 5 });
    const sentiment = answer.text.trim().toLowerCase();
    return { sentiment, route: sentiment === "negative" ? "support" : "feedback", model: answer.model };
  },
});

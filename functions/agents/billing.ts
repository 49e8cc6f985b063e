import { defineAgent } from "../../lib/agents/define-agent";
import { preview } from "./triage";

/**
 * Middle of the example support chain: billing and refunds; technical issues go on. Each request
 * it takes is also an event for its observers (`ctx.notify`), e.g. the auditor.
 */
export const billing = defineAgent({
  name: "billing",
  description: "Support chain: handles billing and refund requests, passes the rest to tech-support.",
  version: "1.0.0",
  capabilities: ["support", "billing"],
  handles: ["billing", "refund"],
  next: "tech-support",
  async handle(message, ctx) {
    await ctx.notify("billing.request", { type: message.metadata.type ?? null, from: message.from, preview: preview(message.content) });
    return { team: "billing", answer: `A billing specialist will look at: ${preview(message.content)}` };
  },
});

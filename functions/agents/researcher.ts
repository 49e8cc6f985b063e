import { defineAgent } from "../../lib/agents/define-agent";

/**
 * Demonstrates the handshake and durable request-reply: it shakes hands with the fact-checker,
 * then sends a "verify" request over the queue and waits for the reply (or a timeout).
 */
export const researcher = defineAgent({
  name: "researcher",
  description: "Researches a claim and has the fact-checker verify it (handshake, then request-reply).",
  version: "2.0.0",
  capabilities: ["research"],
  async handle(message, ctx) {
    const input = (typeof message.content === "object" && message.content !== null ? message.content : { claim: message.content }) as {
      claim?: unknown;
      checker?: unknown;
      timeout_ms?: unknown;
    };
    const checker = typeof input.checker === "string" ? input.checker : "fact-checker";
    const handshake = await ctx.handshake(checker);
    if (handshake.status !== "accepted") return { claim: input.claim, handshake };
    const timeout = typeof input.timeout_ms === "number" ? input.timeout_ms : 10_000;
    const reply = await ctx.request(checker, "verify", { claim: input.claim }, { timeout_ms: timeout });
    return { claim: input.claim, handshake: handshake.status, verification: reply.content, request_id: reply.metadata.in_reply_to };
  },
});

import { defineAgent, textOf } from "../../lib/agents/define-agent";

/**
 * Streams another agent's answer to its own caller as it comes (`ctx.invokeStream`): a line of its
 * own first, then every chunk the agent streams; an agent that does not stream is relayed as its
 * whole reply. It returns nothing, so its reply is what it streamed — the same for a caller that
 * streams and one that waits. Content: a text, or `{ "text", "agent" }`.
 */
export const narrator = defineAgent({
  name: "narrator",
  description: "Relays another agent's streamed answer to its caller as it comes (ctx.invokeStream); content { text, agent? }, agent echo by default.",
  version: "1.0.0",
  capabilities: ["stream"],
  async handle(message, ctx) {
    const input = (typeof message.content === "object" && message.content !== null ? message.content : { text: message.content }) as {
      text?: unknown;
      agent?: unknown;
    };
    const agent = typeof input.agent === "string" ? input.agent : "echo";
    ctx.stream.write(`${agent}: `);
    const answer = ctx.invokeStream(agent, input.text ?? "");
    let relayed = false;
    for await (const chunk of answer) {
      relayed = true;
      ctx.stream.write(chunk);
    }
    if (!relayed) ctx.stream.write(textOf((await answer.reply).content));
  },
});

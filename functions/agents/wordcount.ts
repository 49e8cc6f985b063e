import { defineAgent, textOf } from "../../lib/agents/define-agent";

/** Map-reduce from agent code: counts the words of a text, one line per item, over two mappers. */
export const wordcount = defineAgent({
  name: "wordcount",
  description: "Counts words in a text with ctx.mapReduce over wordcount-map and wordcount-reduce.",
  version: "1.0.0",
  capabilities: ["wordcount"],
  async handle(message, ctx) {
    const text = textOf(message.content);
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    const { result, chunks } = await ctx.mapReduce({ data: lines, mappers: ["wordcount-map", "wordcount-map"], reducer: "wordcount-reduce" });
    return { ...(result.content as object), chunks };
  },
});

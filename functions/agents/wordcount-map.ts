import { defineAgent } from "../../lib/agents/define-agent";

/** Map-reduce mapper: counts the words in its chunk (an array of texts). */
export const wordcountMap = defineAgent({
  name: "wordcount-map",
  description: "Mapper: counts words in a chunk of texts; answers { word: count }.",
  version: "1.0.0",
  capabilities: ["map-reduce", "wordcount"],
  handle(message) {
    const texts = Array.isArray(message.content) ? message.content : [message.content];
    const counts: Record<string, number> = Object.create(null);
    for (const text of texts) {
      for (const word of String(text ?? "")
        .toLowerCase()
        .match(/[\p{L}\p{N}']+/gu) ?? [])
        counts[word] = (counts[word] ?? 0) + 1;
    }
    // Back to a plain object so a word such as "__proto__" serialises as data.
    return Object.fromEntries(Object.entries(counts));
  },
});

import { defineAgent } from "../../lib/agents/define-agent";
import type { ReducerInput } from "../../lib/patterns/map-reduce";

/** Map-reduce reducer: sums the mappers' word counts; reports chunks that failed. */
export const wordcountReduce = defineAgent({
  name: "wordcount-reduce",
  description: "Reducer: merges { word: count } map results into totals.",
  version: "1.0.0",
  capabilities: ["map-reduce", "wordcount"],
  handle(message) {
    const results = (Array.isArray(message.content) ? message.content : []) as ReducerInput;
    const totals = new Map<string, number>();
    const failed: number[] = [];
    for (const result of results) {
      if (!("reply" in result)) {
        failed.push(result.index);
        continue;
      }
      for (const [word, count] of Object.entries((result.reply ?? {}) as Record<string, unknown>)) {
        if (typeof count === "number") totals.set(word, (totals.get(word) ?? 0) + count);
      }
    }
    const counts = Object.fromEntries([...totals].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
    return { counts, words: [...totals.values()].reduce((a, b) => a + b, 0), failed_chunks: failed };
  },
});

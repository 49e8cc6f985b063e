import { defineAgent, textOf } from "../../lib/agents/define-agent";

/** A deterministic stand-in for a model-backed summarizer: the first sentence and a word count. */
export const summarizer = defineAgent({
  name: "summarizer",
  description: "Summarises text: its first sentence and its word count.",
  version: "1.2.0",
  capabilities: ["summarize", "text"],
  handle(message) {
    const text = textOf(message.content);
    const first = text.split(/(?<=[.!?])\s/)[0] ?? "";
    const words = text.split(/\s+/).filter(Boolean).length;
    return { summary: first.trim(), words };
  },
});

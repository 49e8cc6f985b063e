import { generateText, isStepCount, jsonSchema, tool } from "ai";
import { describe, expect, it } from "vitest";
import { LocalLanguageModel } from "./local-model";
import { argumentsFor, pickTool } from "./local-router";

const tools = [
  { name: "summarizer", description: "Summarises text: its first sentence and its word count." },
  { name: "wordcount", description: "Counts words in a text with ctx.mapReduce." },
  { name: "fact-checker", description: "Verifies claims." },
];

describe("local-router", () => {
  it("picks the tool whose name, then description, matches the request", () => {
    expect(pickTool("Please summarise this", tools)).toBe("summarizer");
    expect(pickTool("count the words in this text", tools)).toBe("wordcount");
    expect(pickTool("verify my claim", tools)).toBe("fact-checker");
    expect(pickTool("is the fact right?", tools)).toBe("fact-checker");
    expect(pickTool("good morning", tools)).toBeNull();
  });

  it("fills required fields from the request, by type", () => {
    const schema = {
      type: "object",
      properties: { claim: { type: "string" }, n: { type: "integer" }, tags: { type: "array" } },
      required: ["claim", "n", "tags"],
    };
    expect(argumentsFor(schema, "x")).toEqual({ claim: "x", n: 0, tags: [] });
    expect(argumentsFor({ type: "object", properties: { text: { type: "string" }, other: { type: "string" } } }, "y")).toEqual({ text: "y" });
  });

  it("fills a field named like an Object.prototype member as an ordinary argument", () => {
    const schema = { type: "object", properties: JSON.parse('{"__proto__":{"type":"string"}}'), required: ["__proto__", "constructor"] };
    expect(JSON.parse(JSON.stringify(argumentsFor(schema, "z")))).toEqual(JSON.parse('{"__proto__":"z","constructor":"z"}'));
  });

  it("calls one tool through generateText's loop, then answers with its result", async () => {
    const seen: unknown[] = [];
    const result = await generateText({
      model: new LocalLanguageModel("local-router"),
      prompt: "summarize: one. two.",
      tools: {
        summarizer: tool({
          description: tools[0]?.description,
          inputSchema: jsonSchema<{ content: string }>({ type: "object", properties: { content: { type: "string" } }, required: ["content"] }),
          execute: async (args) => {
            seen.push(args);
            return { summary: "one." };
          },
        }),
      },
      stopWhen: isStepCount(4),
    });
    expect(seen).toEqual([{ content: "summarize: one. two." }]);
    expect(result.steps.map((s) => s.finishReason)).toEqual(["tool-calls", "stop"]);
    expect(result.text).toBe('{"summary":"one."}');
  });
});

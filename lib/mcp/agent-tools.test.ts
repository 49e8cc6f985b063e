import { describe, expect, it } from "vitest";
import { completeEntry } from "../registry/entry";
import { agentTool, failureResult, toolsPage } from "./agent-tools";

const entry = (name: string, extra = {}) => completeEntry(name, { kind: "http", url: "https://x.example/", ...extra });

describe("agents as MCP tools", () => {
  it("describes an agent by its entry: an object input schema as it is, any other wrapped as { content }", () => {
    expect(agentTool(entry("a", { description: "Does a." }))).toEqual({
      name: "a",
      description: "Does a.",
      inputSchema: { type: "object", properties: { content: { type: "string", description: "what to send to the agent" } }, required: ["content"] },
    });
    expect(agentTool(entry("b", { input_schema: { type: "array" } })).inputSchema).toEqual({
      type: "object",
      properties: { content: { type: "array" } },
      required: ["content"],
    });
    expect(agentTool(entry("c")).description).toBe("The c agent (http).");
  });

  it("pages by name with an opaque cursor, every agent once", () => {
    const entries = ["e", "a", "d", "c", "b"].map((n) => entry(n));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = toolsPage(entries, cursor, 2);
      seen.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
    expect(pages).toBe(3);
    expect(() => toolsPage(entries, "%%%", 2)).toThrow(/cursor/);
  });

  it("says a failure's code first, with its status", () => {
    expect(failureResult({ code: "circuit_open", detail: "x is open", retry_after: 3 })).toEqual({
      isError: true,
      content: [{ type: "text", text: "circuit_open: x is open" }],
      structuredContent: { code: "circuit_open", status: 503, detail: "x is open", retry_after: 3 },
    });
  });
});

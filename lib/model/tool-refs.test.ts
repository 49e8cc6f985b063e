import { describe, expect, it } from "vitest";
import { modelToolName, parseToolRef, toolRefsProblem } from "./tool-refs";

describe("tool refs", () => {
  it("split into the agent and its MCP tool", () => {
    expect(parseToolRef("summarizer")).toEqual({ agent: "summarizer" });
    expect(parseToolRef("tools/get.weather")).toEqual({ agent: "tools", tool: "get.weather" });
  });

  it("reach models under names their APIs accept, unique even when cut", () => {
    expect(modelToolName("summarizer")).toBe("summarizer");
    expect(modelToolName("tools/get.weather")).toBe("tools__get_weather");
    const long = `${"a".repeat(60)}/${"t".repeat(100)}`;
    const longer = `${long}x`;
    for (const ref of [long, longer]) expect(modelToolName(ref)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(modelToolName(long)).not.toBe(modelToolName(longer));
  });

  it("refuses two refs a model would see under one name", async () => {
    const lookup = async () => ({ kind: "mcp" as const, tools: ["get.weather", "get_weather"] });
    expect(await toolRefsProblem("me", { tools: ["tools/get.weather", "tools/get_weather"] }, lookup)).toBe(
      'tools[1]: "tools/get_weather" and "tools/get.weather" reach the model under the same name tools__get_weather',
    );
  });
});

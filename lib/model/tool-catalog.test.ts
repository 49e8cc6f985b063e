import { describe, expect, it } from "vitest";
import { ToolCatalog } from "./tool-catalog";

describe("ToolCatalog", () => {
  it("looks a tool up once per TTL, and again after it", async () => {
    let now = 1_000;
    const lookups: string[] = [];
    const catalog = new ToolCatalog(
      async (agent) => {
        lookups.push(agent);
        return agent === "gone" ? null : { description: `${agent} v${lookups.length}` };
      },
      () => now,
      30_000,
    );
    expect(await catalog.describe("summarizer")).toEqual({ description: "summarizer v1" });
    now += 29_999;
    expect(await catalog.describe("summarizer")).toEqual({ description: "summarizer v1" });
    expect(await catalog.describe("gone")).toBeNull();
    expect(await catalog.describe("gone")).toBeNull();
    now += 1;
    expect(await catalog.describe("summarizer")).toEqual({ description: "summarizer v3" });
    expect(lookups).toEqual(["summarizer", "gone", "summarizer"]);
  });
});

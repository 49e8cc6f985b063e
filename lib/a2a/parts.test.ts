import { describe, expect, it } from "vitest";
import { contentToParts, partsToContent, partsToText } from "./parts";

describe("A2A parts", () => {
  it("round-trips strings as text parts and other JSON as data parts", () => {
    for (const content of ["hello", { a: [1, 2] }, 42, null, [1, "x"]]) {
      const parts = contentToParts(content);
      expect(parts).toHaveLength(1);
      expect(parts[0]?.content?.$case).toBe(typeof content === "string" ? "text" : "data");
      expect(partsToContent(parts)).toEqual(content);
    }
  });

  it("turns several parts into an array, and bytes into base64 with their media type", () => {
    const parts = [
      ...contentToParts("a"),
      { content: { $case: "raw" as const, value: Buffer.from([104, 105]) }, mediaType: "text/plain", filename: "hi.txt", metadata: {} },
    ];
    expect(partsToContent(parts)).toEqual(["a", { media_type: "text/plain", filename: "hi.txt", base64: "aGk=" }]);
    expect(partsToText(contentToParts({ x: 1 }))).toBe('{"x":1}');
  });
});

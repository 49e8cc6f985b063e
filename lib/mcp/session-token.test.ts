import { describe, expect, it } from "vitest";
import { issueMcpSession, verifyMcpSession } from "./session-token";

describe("MCP session ids", () => {
  it("are valid with the key that opened them, until they expire", async () => {
    const id = await issueMcpSession("sk_a", 1_000, 500);
    expect(await verifyMcpSession(id, "sk_a", 1_499)).toBe(true);
    expect(await verifyMcpSession(id, "sk_b", 1_499)).toBe(false);
    expect(await verifyMcpSession(id, "sk_a", 1_500)).toBe(false);
  });

  it("refuses anything tampered with or malformed", async () => {
    const id = await issueMcpSession("sk_a", 1_000, 500);
    const [prefix, nonce, , mac] = id.split(".");
    expect(await verifyMcpSession(`${prefix}.${nonce}.9999999999.${mac}`, "sk_a", 1_000)).toBe(false);
    expect(await verifyMcpSession("mcp1.x.1.y", "sk_a", 0)).toBe(false);
    expect(await verifyMcpSession("", "sk_a", 0)).toBe(false);
  });
});

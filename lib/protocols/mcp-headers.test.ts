import { describe, expect, it } from "vitest";
import { mcpHeaders } from "./mcp-headers";

describe("mcpHeaders", () => {
  it("sends a plain secret as Authorization, and a JSON object as it is", () => {
    expect(mcpHeaders("AUTH", { AUTH: "Bearer ghp_x" })).toEqual({ ok: true, headers: { authorization: "Bearer ghp_x" } });
    expect(mcpHeaders("AUTH", { AUTH: ' {"X-Api-Key":"k","X-Tenant":"t"}' })).toEqual({ ok: true, headers: { "X-Api-Key": "k", "X-Tenant": "t" } });
    expect(mcpHeaders(undefined, {})).toEqual({ ok: true, headers: {} });
  });

  it("names the secret when it is missing, empty or not an object of strings", () => {
    for (const bindings of [{}, { AUTH: "" }, { AUTH: 42 }]) {
      expect(mcpHeaders("AUTH", bindings)).toEqual({ ok: false, detail: expect.stringContaining("no Worker secret named AUTH") });
    }
    for (const value of ["{not json", '{"a":1}', "{}x", '{"a":["b"]}']) {
      expect(mcpHeaders("AUTH", { AUTH: value })).toMatchObject({ ok: false, detail: expect.stringContaining("headers_secret: AUTH") });
    }
  });
});

import { describe, expect, it } from "vitest";
import { authenticate, bearerKey, identify } from "./keys";

describe("API keys", () => {
  const source = " admin=sk_old_admin_key , admin=sk_new_admin_key,agent:planner=pl=with=equals,agent:Bad_Name=sk_x,root=sk_root,=sk_empty,agent:summarizer=";

  it("accepts two keys for one principal during a rotation", async () => {
    expect(await authenticate(source, "sk_old_admin_key")).toEqual({ kind: "admin" });
    expect(await authenticate(source, "sk_new_admin_key")).toEqual({ kind: "admin" });
  });

  it("keeps '=' inside a key and trims whitespace around pairs", async () => {
    expect(await authenticate(source, "pl=with=equals")).toEqual({ kind: "agent", agent: "planner" });
  });

  it("skips malformed pairs: bad agent names, unknown principals, empty keys", async () => {
    for (const key of ["sk_x", "sk_root", "sk_empty", "", "sk_old_admin_key ", "SK_OLD_ADMIN_KEY"]) {
      expect(await authenticate(source, key), key).toBeNull();
    }
    expect(await authenticate(undefined, "sk_old_admin_key")).toBeNull();
  });

  it("reads the browser origins after a key; a key without them is not limited", async () => {
    const limited = "admin=sk_admin,agent:web=sk_web https://app.example.com  https://*.example.org not-an-origin,agent:typo=sk_typo app.example.com";
    expect(await identify(limited, "sk_admin")).toEqual({ principal: { kind: "admin" }, origins: null });
    const web = await identify(limited, "sk_web");
    expect(web?.principal).toEqual({ kind: "agent", agent: "web" });
    expect(web?.origins).toEqual([
      { kind: "exact", origin: "https://app.example.com" },
      { kind: "subdomains", protocol: "https:", suffix: ".example.org", port: "" },
    ]);
    // Origins that are not origins allow nothing, and never leave the key unlimited.
    expect((await identify(limited, "sk_typo"))?.origins).toEqual([]);
    expect(await authenticate(limited, "sk_web https://app.example.com")).toBeNull();
  });

  it("reads only a well-formed Bearer header", () => {
    expect(bearerKey("Bearer abc")).toBe("abc");
    expect(bearerKey("bearer   abc  ")).toBe("abc");
    for (const header of ["Basic abc", "Bearer", "Bearer a b", "abc", undefined, null]) expect(bearerKey(header)).toBeNull();
  });
});

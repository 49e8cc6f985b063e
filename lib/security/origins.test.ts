import { describe, expect, it } from "vitest";
import { originAllowed, parseOriginList, parseOriginPattern } from "./origins";

describe("origin allowlists", () => {
  it("normalises exact origins and subdomain wildcards", () => {
    expect(parseOriginPattern("https://App.Example.com/")).toEqual({ kind: "exact", origin: "https://app.example.com" });
    expect(parseOriginPattern("http://localhost:5173")).toEqual({ kind: "exact", origin: "http://localhost:5173" });
    expect(parseOriginPattern("https://*.example.com")).toEqual({ kind: "subdomains", protocol: "https:", suffix: ".example.com", port: "" });
    expect(parseOriginPattern("http://*.localhost:8080")).toEqual({ kind: "subdomains", protocol: "http:", suffix: ".localhost", port: "8080" });
    // The default port is no port, as browsers serialise it.
    expect(parseOriginPattern("https://app.example.com:443")).toEqual({ kind: "exact", origin: "https://app.example.com" });
  });

  it("refuses what a browser never sends as an Origin", () => {
    for (const entry of [
      "*",
      "https://*",
      "https://a.*.example.com",
      "app.example.com",
      "https://app.example.com/path",
      "https://u:p@app.example.com",
      "https://app.example.com?x",
      "ftp://app.example.com",
      "null",
    ]) {
      expect(parseOriginPattern(entry), entry).toBeNull();
    }
  });

  it("splits on commas and whitespace and reports what it could not read", () => {
    const list = parseOriginList(" https://a.example, https://*.b.example  http://localhost:3000,,*");
    expect(list.patterns).toHaveLength(3);
    expect(list.invalid).toEqual(["*"]);
    expect(parseOriginList(undefined)).toEqual({ patterns: [], invalid: [] });
  });

  it("matches an Origin header only in its canonical form", () => {
    const { patterns } = parseOriginList("https://app.example.com, https://*.partner.example, http://localhost:5173");
    const allowed = (origin: string) => originAllowed(patterns, origin);
    expect(["https://app.example.com", "https://x.partner.example", "https://x.y.partner.example", "http://localhost:5173"].filter(allowed)).toHaveLength(4);
    for (const origin of [
      "https://partner.example",
      "https://evilpartner.example",
      "https://x.partner.example:8443",
      "http://x.partner.example",
      "https://APP.example.com",
      "https://app.example.com/",
      "https://app.example.com.evil.example",
      "http://localhost:5174",
      "null",
      "",
    ]) {
      expect(allowed(origin), origin).toBe(false);
    }
  });
});

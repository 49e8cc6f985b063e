import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../functions/app";
import { api as apiFollowing } from "../support/api";
import { KEYS } from "../support/keys";

const form = (fields: Record<string, string>) => ({
  raw: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

/** Like support/api's `api`, but without following redirects, so the login's 303 and cookie are visible. */
async function api(method: string, path: string, options: Parameters<typeof apiFollowing>[2] = {}) {
  if (options.as !== null) return apiFollowing(method, path, options);
  const init: RequestInit = { method, headers: options.headers ?? {}, redirect: "manual" };
  if (options.raw !== undefined) init.body = options.raw;
  else if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await exports.default.fetch(new Request(`http://switchboard.test${path}`, init));
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: response.status, headers: response.headers, body };
}

async function login(key: string = KEYS.admin): Promise<string> {
  const res = await api("POST", "/dashboard/login", { as: null, ...form({ key }) });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] as string;
}

describe("dashboard sign-in", () => {
  it("answers a browser without a session with 401 and a login form, and an API client with problem+json", async () => {
    const browser = await api("GET", "/dashboard", { as: null, headers: { accept: "text/html,application/xhtml+xml" } });
    expect(browser.status).toBe(401);
    expect(browser.headers.get("content-type")).toContain("text/html");
    expect(browser.body).toContain('<form method="post" action="/dashboard/login"');
    expect(browser.body).toContain('name="next" value="/dashboard"');
    const client = await api("GET", "/dashboard", { as: null });
    expect(client.status).toBe(401);
    expect(client.headers.get("content-type")).toContain("application/problem+json");
    expect((await api("GET", "/docs", { as: null })).status).toBe(401);
    expect((await api("GET", "/openapi.json", { as: null })).status).toBe(401);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie for a valid key, without the key in it or in the URL", async () => {
    const res = await api("POST", "/dashboard/login", { as: null, ...form({ key: KEYS.admin, next: "/docs" }) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/docs");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^switchboard_session=v1\.admin\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toContain(KEYS.admin);
    expect(res.headers.get("location")).not.toContain(KEYS.admin);
  });

  it("refuses bad keys, foreign origins and open redirects", async () => {
    const bad = await api("POST", "/dashboard/login", {
      as: null,
      ...form({ key: "nope" }),
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
    });
    expect(bad.status).toBe(401);
    expect(bad.body).toContain("That key is not valid.");
    expect(bad.headers.get("set-cookie")).toBeNull();
    const foreign = await api("POST", "/dashboard/login", {
      as: null,
      raw: new URLSearchParams({ key: KEYS.admin }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const crossSite = await api("POST", "/dashboard/login", {
      as: null,
      raw: new URLSearchParams({ key: KEYS.admin }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    const redirect = await api("POST", "/dashboard/login", { as: null, ...form({ key: KEYS.admin, next: "//evil.example/x" }) });
    expect(redirect.headers.get("location")).toBe("/dashboard");
  });

  it("lets the cookie read every route, but state changes need the CSRF header", async () => {
    const cookie = await login();
    const page = await api("GET", "/dashboard", { as: null, headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[^']+'/);
    expect((await api("GET", "/agents", { as: null, headers: { cookie } })).status).toBe(200);
    const noCsrf = await api("POST", "/agents/echo/invoke", { as: null, body: { content: 1 }, headers: { cookie, "content-type": "application/json" } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.code).toBe("forbidden");
    const withCsrf = await api("POST", "/agents/echo/invoke", {
      as: null,
      body: { content: 1 },
      headers: { cookie, "content-type": "application/json", "x-switchboard-csrf": "1" },
    });
    expect(withCsrf.status).toBe(200);
  });

  it("serves a trace's waterfall page under the same CSP, and refuses an id that is not 32 hex", async () => {
    const cookie = await login();
    const page = await api("GET", "/dashboard/traces/4BF92F3577B34DA6A3CE929D0E0E4736", { as: null, headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'; script-src 'nonce-[^']+'/);
    expect(page.body).toContain('data-trace="4bf92f3577b34da6a3ce929d0e0e4736"');
    const bad = await api("GET", "/dashboard/traces/%3Cscript%3E", { as: null, headers: { cookie } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "invalid_request" });
    expect(bad.body.detail).toContain("trace_id");
  });

  it("gives an agent's session only that agent's rights, and rejects tampered or cleared cookies", async () => {
    const cookie = await login(KEYS.planner);
    expect((await api("GET", "/metrics", { as: null, headers: { cookie } })).status).toBe(403);
    const tampered = cookie.replace("agent:planner", "admin");
    expect((await api("GET", "/agents", { as: null, headers: { cookie: tampered } })).status).toBe(401);
    const out = await api("POST", "/dashboard/logout", { as: null, headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  });
});

describe("OpenAPI and docs", () => {
  it("documents every route of the app, with the Problem schema and bearer security", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas.Problem.properties.code).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const routes = app.routes.filter((r) => r.method !== "ALL");
    expect(routes.length).toBeGreaterThan(15);
    const missing = routes
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:([A-Za-z_]+)/g, "{$1}") }))
      .filter((r) => !doc.paths[r.path]?.[r.method])
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
    // Every $ref resolves.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.filter((name) => !doc.components.schemas[name])).toEqual([]);
    expect(doc.paths["/health"].get.security).toEqual([]);
    expect(doc.paths["/dashboard/login"].post.security).toEqual([]);
  });

  it("serves a self-contained docs page", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.body).toContain("/openapi.json");
    expect(res.body).not.toMatch(/<script[^>]+src=|<link[^>]+href="https?:/);
  });
});

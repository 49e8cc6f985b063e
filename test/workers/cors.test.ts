/**
 * Browsers as callers: the real app with `SWITCHBOARD_CORS_ORIGINS` set (and an origin-limited key
 * added to `SWITCHBOARD_API_KEYS`), over the real bindings. What a browser would do is spelled out
 * in headers: a preflight (`OPTIONS` + `Access-Control-Request-*`), then the real request with its
 * `Origin`. test/e2e/cors-browser.test.ts does the same from Chromium.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app";
import { received, testServer, uniqueName } from "../support/api";
import { KEYS } from "../support/keys";
import { EventReader } from "../support/sse";

const PAGE = "https://app.example.com";
const PARTNER = "https://chat.partner.example";
const OTHER = "https://elsewhere.example";
/** A key for planner that only app.example.com and *.partner.example pages may use. */
const BROWSER_KEY = "sk_test_browser_planner";
const CORS_ENV = {
  SWITCHBOARD_CORS_ORIGINS: `${PAGE}, https://*.partner.example,${OTHER}`,
  SWITCHBOARD_API_KEYS: `${env.SWITCHBOARD_API_KEYS},agent:planner=${BROWSER_KEY} ${PAGE} https://*.partner.example`,
};

const app = createApp();

async function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}, extraEnv: Partial<Env> = CORS_ENV): Promise<Response> {
  return await app.fetch(new Request(`http://switchboard.test${path}`, { redirect: "manual", ...init }), { ...env, ...extraEnv }, createExecutionContext());
}

function preflight(path: string, origin: string, method = "POST", headers = "authorization,content-type", extraEnv?: Partial<Env>): Promise<Response> {
  return call(path, { method: "OPTIONS", headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers } }, extraEnv);
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });

describe("CORS preflights", () => {
  it("answers an allowed origin before authentication, with the API's methods, headers and a max-age", async () => {
    const res = await preflight("/agents/echo/invoke", PAGE, "POST", "authorization,content-type,traceparent,last-event-id");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(res.headers.get("access-control-allow-methods")?.split(",")).toEqual(expect.arrayContaining(["GET", "POST", "PUT", "DELETE"]));
    const allowed = res.headers.get("access-control-allow-headers")?.split(",") ?? [];
    expect(allowed).toEqual(
      expect.arrayContaining(["authorization", "content-type", "traceparent", "last-event-id", "mcp-session-id", "mcp-protocol-version"]),
    );
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toContain("Origin");
    // Never credentials, never the dashboard's CSRF header: a cookie session cannot be driven from another origin.
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(allowed).not.toContain("x-switchboard-csrf");
  });

  it("matches exact origins and subdomain wildcards, and nothing else", async () => {
    const verdicts: Record<string, string | null> = {};
    for (const origin of [
      PAGE,
      PARTNER,
      "https://a.b.partner.example",
      "https://partner.example",
      "http://app.example.com",
      "https://app.example.com:8443",
      "https://evil-app.example.com",
      "null",
    ]) {
      verdicts[origin] = (await preflight("/agents", origin, "GET")).headers.get("access-control-allow-origin");
    }
    expect(verdicts).toEqual({
      [PAGE]: PAGE,
      [PARTNER]: PARTNER,
      "https://a.b.partner.example": "https://a.b.partner.example",
      "https://partner.example": null,
      "http://app.example.com": null,
      "https://app.example.com:8443": null,
      "https://evil-app.example.com": null,
      null: null,
    });
  });

  it("allows no other origin by default, and ignores entries that are not origins", async () => {
    for (const origins of [undefined, "", "*, app.example.com, https://app.example.com/path, https://*"]) {
      const res = await preflight("/agents/echo/invoke", PAGE, "POST", "authorization", { SWITCHBOARD_CORS_ORIGINS: origins });
      expect(res.headers.get("access-control-allow-origin"), String(origins)).toBeNull();
      const real = await call("/agents", { headers: { ...bearer(KEYS.admin), origin: PAGE } }, { SWITCHBOARD_CORS_ORIGINS: origins });
      // The request itself is what it always was; only the browser is not allowed to read it.
      expect(real.status).toBe(200);
      expect(real.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("treats an OPTIONS that is no preflight like any other request: it needs a key", async () => {
    expect((await call("/agents", { method: "OPTIONS" })).status).toBe(401);
    expect((await call("/agents", { method: "OPTIONS", headers: { origin: PAGE } })).status).toBe(401);
    expect((await call("/agents", { method: "OPTIONS", headers: { ...bearer(KEYS.admin), origin: PAGE } })).status).toBe(404);
  });

  it("grants nothing: a preflight runs no route, stores nothing and reaches no agent", async () => {
    const name = uniqueName("preflighted");
    const put = await call(`/agents/${name}`, { method: "OPTIONS", headers: { origin: PAGE, "access-control-request-method": "PUT" } });
    expect(put.status).toBe(204);
    expect((await call(`/agents/${name}`, { headers: bearer(KEYS.admin) })).status).toBe(404);

    const remote = uniqueName("preflight-target");
    expect(
      (
        await call(`/agents/${remote}`, {
          method: "PUT",
          headers: bearer(KEYS.admin),
          body: JSON.stringify({ kind: "http", url: `${testServer()}/ok/${remote}` }),
        })
      ).status,
    ).toBe(200);
    for (const path of [`/agents/${remote}/invoke`, `/agents/${remote}/messages`, `/a2a/${remote}`]) {
      const res = await preflight(path, PAGE);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
    }
    // One real call afterwards, so the server's record is known to be read after anything a preflight could have sent.
    expect((await call(`/agents/${remote}/invoke`, { method: "POST", headers: bearer(KEYS.admin), body: JSON.stringify({ content: "real" }) })).status).toBe(
      200,
    );
    expect((await received(remote)).map((r) => JSON.parse(r.body).content)).toEqual(["real"]);
  });
});

describe("CORS on real requests", () => {
  it("lets an allowed page read the answer, its trace, and the headers it needs", async () => {
    const res = await call("/agents/echo/invoke", {
      method: "POST",
      headers: { ...bearer(KEYS.planner), origin: PAGE },
      body: JSON.stringify({ content: "hi" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { content: string }).content).toBe("hi");
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    expect(res.headers.get("access-control-expose-headers")?.split(",")).toEqual(
      expect.arrayContaining(["traceparent", "retry-after", "x-stream-id", "mcp-session-id", "idempotent-replayed"]),
    );
    expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("leaves a request without Origin as it was: no CORS headers, only Vary: Origin, and its trace, on answers and problems alike", async () => {
    for (const [key, status] of [
      [KEYS.planner, 200],
      ["sk_unknown", 401],
    ] as const) {
      const res = await call("/agents/echo/invoke", { method: "POST", headers: bearer(key), body: JSON.stringify({ content: "hi" }) });
      expect(res.status).toBe(status);
      expect([...res.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
      expect(res.headers.get("vary")).toBe("Origin");
      expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    }
  });

  it("still needs a key: without one the page reads a 401, never the route's answer", async () => {
    for (const [method, path] of [
      ["GET", "/agents"],
      ["POST", "/agents/echo/invoke"],
      ["GET", "/dlq"],
    ] as const) {
      const res = await call(path, {
        method,
        headers: { origin: PAGE, "content-type": "application/json" },
        ...(method === "POST" ? { body: '{"content":"x"}' } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      // Readable by the page, so it can tell its user to sign in.
      expect(res.headers.get("access-control-allow-origin")).toBe(PAGE);
    }
  });

  it("streams SSE cross-origin: invoke and resume", async () => {
    const res = await call("/agents/ticker/invoke", {
      method: "POST",
      headers: { ...bearer(KEYS.planner), origin: PARTNER, accept: "text/event-stream" },
      body: JSON.stringify({ content: { count: 3, every_ms: 0 } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("access-control-allow-origin")).toBe(PARTNER);
    const streamId = res.headers.get("x-stream-id") ?? "";
    expect(streamId).not.toBe("");
    const events = await new EventReader(res).all();
    expect(events.map((e) => e.event)).toEqual(["start", "delta", "delta", "delta", "reply"]);
    expect(events.at(-1)?.data.content).toBe("tick 1 tick 2 tick 3");

    const again = await call(`/streams/${streamId}`, {
      headers: { ...bearer(KEYS.planner), origin: PARTNER, accept: "text/event-stream", "last-event-id": "3" },
    });
    expect(again.status).toBe(200);
    expect(again.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect((await new EventReader(again).all()).map((e) => [e.id, e.event])).toEqual([
      [4, "delta"],
      [5, "reply"],
    ]);
  });
});

describe("API keys limited to origins", () => {
  const invoke = (origin: string | null) =>
    call("/agents/echo/invoke", {
      method: "POST",
      headers: { ...bearer(BROWSER_KEY), ...(origin ? { origin } : {}) },
      body: JSON.stringify({ content: "from the page" }),
    });

  it("works from the key's own origins and acts as its principal", async () => {
    for (const origin of [PAGE, PARTNER]) {
      const res = await invoke(origin);
      expect(res.status, origin).toBe(200);
      expect(((await res.json()) as { from: string }).from).toBe("echo");
    }
    const sent = await call("/agents/echo/messages", {
      method: "POST",
      headers: { ...bearer(BROWSER_KEY), origin: PAGE },
      body: JSON.stringify({ content: "x" }),
    });
    expect(sent.status).toBe(202);
    const { request_id } = (await sent.json()) as { request_id: string };
    // The request is planner's: planner's server key reads it.
    expect((await call(`/requests/${request_id}`, { headers: bearer(KEYS.planner) })).status).toBe(200);
  });

  it("is 403 problem+json from any other browser origin, even one CORS allows, readable by that page", async () => {
    for (const origin of [OTHER, "null"]) {
      const res = await invoke(origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe("forbidden");
      expect(problem.detail).toContain("origin");
    }
    expect((await invoke(OTHER)).headers.get("access-control-allow-origin")).toBe(OTHER);
    // Keys without origins are not limited: planner's server key works from the same page.
    const server = await call("/agents/echo/invoke", { method: "POST", headers: { ...bearer(KEYS.planner), origin: OTHER }, body: '{"content":"x"}' });
    expect(server.status).toBe(200);
  });

  it("is not limited where no browser is: no Origin, or Switchboard's own pages", async () => {
    expect((await invoke(null)).status).toBe(200);
    expect((await invoke("http://switchboard.test")).status).toBe(200);
  });
});

describe("the dashboard's cookie session", () => {
  async function login(): Promise<string> {
    const res = await call("/dashboard/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: KEYS.admin }).toString(),
    });
    expect(res.status).toBe(303);
    return (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
  }

  it("is never accepted from another origin, even one CORS allows; from our own pages it still works", async () => {
    const cookie = await login();
    expect((await call("/agents", { headers: { cookie } })).status).toBe(200);
    expect((await call("/agents", { headers: { cookie, origin: "http://switchboard.test" } })).status).toBe(200);
    for (const origin of [PAGE, PARTNER, "null"]) {
      const read = await call("/agents", { headers: { cookie, origin } });
      expect(read.status, origin).toBe(401);
      expect(read.headers.get("access-control-allow-credentials")).toBeNull();
      const name = uniqueName("cookie-cross");
      const write = await call(`/agents/${name}`, {
        method: "PUT",
        headers: { cookie, origin, "content-type": "application/json", "x-switchboard-csrf": "1" },
        body: JSON.stringify({ kind: "http", url: `${testServer()}/ok/${name}` }),
      });
      expect(write.status, origin).toBe(401);
      expect((await call(`/agents/${name}`, { headers: bearer(KEYS.admin) })).status).toBe(404);
    }
  });

  it("keeps the CSRF rule on our own origin", async () => {
    const cookie = await login();
    const name = uniqueName("cookie-csrf");
    const body = JSON.stringify({ kind: "http", url: `${testServer()}/ok/${name}` });
    const headers = { cookie, origin: "http://switchboard.test", "content-type": "application/json" };
    expect((await call(`/agents/${name}`, { method: "PUT", headers, body })).status).toBe(403);
    expect((await call(`/agents/${name}`, { method: "PUT", headers: { ...headers, "x-switchboard-csrf": "1" }, body })).status).toBe(200);
  });
});

/**
 * Every route × every kind of caller: only the documented outcome, zero bypass. The routes come
 * from the app itself, so a route added later without an entry here fails this test until its
 * access rule is written down.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../functions/app";
import { api, received, testServer, uniqueName } from "../support/api";
import { KEYS } from "../support/keys";

type Caller = "none" | "unknown" | "admin" | "allowed" | "denied";
const CALLERS: Caller[] = ["none", "unknown", "admin", "allowed", "denied"];
const HEADER: Record<Caller, string | null> = {
  none: null,
  unknown: "Bearer sk_not_a_real_key_at_all",
  admin: `Bearer ${KEYS.admin}`,
  allowed: `Bearer ${KEYS.planner}`, // the target's acl allows planner
  denied: `Bearer ${KEYS.outsider}`, // …and not outsider
};

interface Fixture {
  agent: string;
  requestId: string;
  /** A request planner sent that stays pending: its remote agent holds every call. */
  heldRequestId: string;
  /** A stream planner started (a streaming invoke of the guarded agent), ended. */
  streamId: string;
  /** A schedule admin created on the agent (planner is neither its creator nor the agent). */
  scheduleId: string;
}

interface Expectation {
  /** Statuses for admin, allowed agent, denied agent. No key and unknown key are 401 unless public. */
  admin: number;
  allowed: number;
  denied: number;
  public?: boolean;
  /** What a caller with no key or an unknown key gets, when that is not simply 401 (or 200 if public). */
  anonymous?: number;
  /** What a page on another (CORS-allowed) origin gets without a key, when not the anonymous answer. */
  fromPage?: number;
  /** Signed routes: every Bearer caller without a signature is 401. */
  signed?: boolean;
  path?: (f: Fixture) => string;
  body?: (caller: Caller, f: Fixture) => unknown;
  /** Extra request headers (MCP's Accept). */
  headers?: Record<string, string>;
  /** A protocol endpoint: its own 4xx answers are the protocol's errors (JSON-RPC), not problem+json; 401 and 403 still are. */
  protocol?: boolean;
  /** For a 2xx a caller gets, what its body must show (e.g. a handshake the ACL rejects). */
  answer?: Partial<Record<Caller, (body: any) => void>>;
}

const MCP_ACCEPT = { accept: "application/json, text/event-stream" };
const MCP_INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "matrix", version: "1.0.0" } },
};

const handshake = (caller: Caller) => ({ ...(caller === "admin" ? { from: "planner" } : {}), version: "1.0.0", capabilities: [] });

/** JSON-RPC answers 200; an ACL-denied caller gets a JSON-RPC error, never a result. */
const JSON_RPC: Expectation = {
  admin: 200,
  allowed: 200,
  denied: 200,
  body: () => ({
    jsonrpc: "2.0",
    id: 1,
    method: "SendMessage",
    params: { message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: "hi" }] }, configuration: { blocking: true } },
  }),
  answer: {
    admin: (b) => expect(b.result).toBeDefined(),
    allowed: (b) => expect(b.result).toBeDefined(),
    denied: (b) => expect(JSON.stringify(b)).toMatch(/forbidden|not allowed|may not/i),
  },
};

/** The access rules, as docs/security.md ("Who may call what") states them. Key: Hono method and path. */
const EXPECTED: Record<string, Expectation> = {
  "GET /health": { admin: 200, allowed: 200, denied: 200, public: true },
  "GET /agents": { admin: 200, allowed: 200, denied: 200 },
  "GET /agents/:name": { admin: 200, allowed: 200, denied: 200 },
  "PUT /agents/:name": { admin: 200, allowed: 403, denied: 403, body: (_c, f) => guardedConfig(f.agent) },
  "DELETE /agents/:name": { admin: 404, allowed: 403, denied: 403, path: () => "/agents/never-registered-agent" },
  "POST /agents/:name/invoke": { admin: 200, allowed: 200, denied: 403, body: () => ({ content: "hi" }) },
  "GET /agents/:name/log": { admin: 200, allowed: 403, denied: 403 },
  "POST /agents/:name/messages": { admin: 202, allowed: 202, denied: 403, body: () => ({ content: "hi" }) },
  // The handshake answers a caller the ACL does not allow with 200 "rejected" (reason: acl), records it, and grants nothing.
  "POST /agents/:name/handshake": {
    admin: 200,
    allowed: 200,
    denied: 200,
    body: handshake,
    answer: {
      allowed: (b) => expect(b.status).toBe("accepted"),
      denied: (b) => expect(b).toMatchObject({ status: "rejected", reason: expect.stringContaining("acl") }),
    },
  },
  "GET /requests/:id": { admin: 200, allowed: 200, denied: 403 },
  // Cancelling the held request: admin cancels it, its sender cancels it again (a no-op), others may not.
  "DELETE /requests/:id": { admin: 200, allowed: 200, denied: 403, path: (f) => `/requests/${f.heldRequestId}` },
  "GET /requests/:id/stream": { admin: 200, allowed: 200, denied: 403, path: (f) => `/requests/${f.requestId}/stream` },
  // A stream is read again by whoever started it, admin, or the agent itself.
  "GET /streams/:stream_id": { admin: 200, allowed: 200, denied: 403, path: (f) => `/streams/${f.streamId}` },
  // The fixture's stream has replied: a caller who may cancel it learns it already ended.
  "DELETE /streams/:stream_id": { admin: 409, allowed: 409, denied: 403, path: (f) => `/streams/${f.streamId}` },
  // Every key may list; admin sees every waiting request, an agent key only the ones it sent.
  "GET /agents/:name/requests": { admin: 200, allowed: 200, denied: 200, path: (f) => `/agents/${f.agent}/requests?status=input_required` },
  // The held request is pending, not waiting: whoever may answer it learns that (409); others may not (403).
  "POST /requests/:id/input": {
    admin: 409,
    allowed: 409,
    denied: 403,
    path: (f) => `/requests/${f.heldRequestId}/input`,
    body: () => ({ content: { approved: true } }),
  },
  "GET /agents/:name/breaker": { admin: 200, allowed: 200, denied: 200 },
  // Schedules: creating one sends the agent messages, so the agent's ACL decides; a once-a-year cron never fires here.
  "POST /agents/:name/schedules": { admin: 201, allowed: 201, denied: 403, body: () => ({ cron: "0 0 1 1 *", content: "matrix" }) },
  "GET /agents/:name/schedules": { admin: 200, allowed: 200, denied: 200, answer: { denied: (b) => expect(b.schedules).toEqual([]) } },
  "GET /agents/:name/schedules/:id": { admin: 200, allowed: 403, denied: 403, path: (f) => `/agents/${f.agent}/schedules/${f.scheduleId}` },
  "POST /agents/:name/schedules/:id/pause": { admin: 200, allowed: 403, denied: 403, path: (f) => `/agents/${f.agent}/schedules/${f.scheduleId}/pause` },
  "POST /agents/:name/schedules/:id/resume": { admin: 200, allowed: 403, denied: 403, path: (f) => `/agents/${f.agent}/schedules/${f.scheduleId}/resume` },
  "DELETE /agents/:name/schedules/:id": { admin: 404, allowed: 404, denied: 404, path: (f) => `/agents/${f.agent}/schedules/sch_no_such_schedule` },
  "POST /agents/:name/pause": { admin: 200, allowed: 403, denied: 403 },
  "POST /agents/:name/resume": { admin: 200, allowed: 403, denied: 403 },
  "POST /agents/:name/breaker/reset": { admin: 200, allowed: 403, denied: 403 },
  // The fixture is an HTTP agent: only an MCP agent has tools to list again.
  "POST /agents/:name/refresh": { admin: 400, allowed: 403, denied: 403 },
  "GET /dlq": { admin: 200, allowed: 403, denied: 403 },
  "GET /dlq/:id": { admin: 404, allowed: 403, denied: 403 },
  "POST /dlq/:id/replay": { admin: 404, allowed: 403, denied: 403 },
  "POST /dlq/replay": { admin: 202, allowed: 403, denied: 403, body: (_caller, f) => ({ agent: f.agent }) },
  "DELETE /dlq/:id": { admin: 404, allowed: 403, denied: 403 },
  "DELETE /dlq": { admin: 200, allowed: 403, denied: 403, path: (f) => `/dlq?agent=${f.agent}` },
  "GET /.well-known/agent-card.json": { admin: 200, allowed: 200, denied: 200, public: true },
  "GET /a2a/:name/.well-known/agent-card.json": { admin: 200, allowed: 200, denied: 200, public: true },
  "GET /a2a/:name/.well-known/agent.json": { admin: 200, allowed: 200, denied: 200, public: true },
  "POST /a2a/:name": JSON_RPC,
  // The same endpoint, as clients that join the card's URL with a slash call it.
  "POST /a2a/:name/": JSON_RPC,
  // Every key may list; what it sees follows the ACLs (test/workers/mcp-server.test.ts).
  "POST /mcp": { admin: 200, allowed: 200, denied: 200, headers: MCP_ACCEPT, body: () => MCP_INITIALIZE, protocol: true },
  "POST /mcp/:name": { admin: 200, allowed: 200, denied: 403, headers: MCP_ACCEPT, body: () => MCP_INITIALIZE, protocol: true },
  "GET /mcp": { admin: 405, allowed: 405, denied: 405, headers: MCP_ACCEPT, protocol: true },
  "GET /mcp/:name": { admin: 405, allowed: 405, denied: 405, headers: MCP_ACCEPT, protocol: true },
  "DELETE /mcp": { admin: 405, allowed: 405, denied: 405, headers: MCP_ACCEPT, protocol: true },
  "DELETE /mcp/:name": { admin: 405, allowed: 405, denied: 405, headers: MCP_ACCEPT, protocol: true },
  "POST /agents/:name/observers": { admin: 201, allowed: 403, denied: 403, body: () => ({ url: "https://example.com/observer" }) },
  "GET /agents/:name/observers": { admin: 200, allowed: 403, denied: 403 },
  "DELETE /agents/:name/observers/:id": { admin: 404, allowed: 403, denied: 403, path: (f) => `/agents/${f.agent}/observers/obs_no_such_observer` },
  "POST /agents/:name/events": { admin: 202, allowed: 403, denied: 403, body: () => ({ event: "matrix", data: {} }) },
  "POST /patterns/map-reduce": { admin: 200, allowed: 200, denied: 403, body: (_c, f) => ({ data: [1, 2], mappers: [f.agent], reducer: "echo" }) },
  "POST /webhooks/:name": { admin: 401, allowed: 401, denied: 401, signed: true, body: () => ({ event: "x" }) },
  "GET /metrics": { admin: 200, allowed: 403, denied: 403 },
  "GET /metrics/agents": { admin: 200, allowed: 403, denied: 403 },
  "GET /agents/:name/metrics": { admin: 200, allowed: 403, denied: 403 },
  "GET /traces/:trace_id": { admin: 200, allowed: 403, denied: 403, path: () => "/traces/4bf92f3577b34da6a3ce929d0e0e4736" },
  // Pages: any valid key sees the shell; the data they load is guarded by the routes above.
  "GET /dashboard": { admin: 200, allowed: 200, denied: 200 },
  "GET /dashboard/agents/:name": { admin: 200, allowed: 200, denied: 200 },
  "GET /dashboard/traces/:trace_id": { admin: 200, allowed: 200, denied: 200, path: () => "/dashboard/traces/4bf92f3577b34da6a3ce929d0e0e4736" },
  "GET /docs": { admin: 200, allowed: 200, denied: 200 },
  "GET /openapi.json": { admin: 200, allowed: 200, denied: 200 },
  // Login takes the key from its form, never from a Bearer header: a request without one is 401.
  // …and from another origin it is refused before any key is read (login CSRF).
  "POST /dashboard/login": { admin: 401, allowed: 401, denied: 401, anonymous: 401, fromPage: 403, body: () => ({}) },
  "POST /dashboard/logout": { admin: 303, allowed: 303, denied: 303, anonymous: 303 },
};

function guardedConfig(name: string) {
  return { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: ["planner"] } };
}

function routesOfApp(): string[] {
  const seen = new Set<string>();
  for (const r of app.routes) if (r.method !== "ALL" && r.path !== "*") seen.add(`${r.method} ${r.path}`);
  return [...seen].sort();
}

function concretePath(path: string, f: Fixture): string {
  return path.replace(":name", f.agent).replace(":id", path.startsWith("/dlq") ? "dlq_no_such_entry" : f.requestId);
}

function expected(e: Expectation, caller: Caller): number {
  if (caller === "none" || caller === "unknown") return e.anonymous ?? (e.public ? 200 : 401);
  return e[caller];
}

describe("auth matrix", () => {
  const fixture: Fixture = { agent: uniqueName("guarded"), requestId: "", heldRequestId: "", streamId: "", scheduleId: "" };

  beforeAll(async () => {
    expect((await api("PUT", `/agents/${fixture.agent}`, { body: guardedConfig(fixture.agent) })).status).toBe(200);
    const sent = await api("POST", `/agents/${fixture.agent}/messages`, { as: "planner", body: { content: "seed" } });
    expect(sent.status).toBe(202);
    fixture.requestId = sent.body.request_id;
    const holder = uniqueName("guarded-holder");
    const put = await api("PUT", `/agents/${holder}`, { body: { kind: "http", url: `${testServer()}/hold/${holder}`, acl: { allow: ["planner"] } } });
    expect(put.status).toBe(200);
    const held = await api("POST", `/agents/${holder}/messages`, { as: "planner", body: { content: "hold" } });
    expect(held.status).toBe(202);
    fixture.heldRequestId = held.body.request_id;
    const streamed = await exports.default.fetch(
      new Request(`http://switchboard.test/agents/${fixture.agent}/invoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.planner}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ content: "streamed" }),
      }),
    );
    expect(streamed.status).toBe(200);
    fixture.streamId = streamed.headers.get("x-stream-id") ?? "";
    await streamed.text();
    const schedule = await api("POST", `/agents/${fixture.agent}/schedules`, { body: { cron: "0 0 1 1 *", content: "fixture" } });
    expect(schedule.status).toBe(201);
    fixture.scheduleId = schedule.body.id;
    // Six round trips through several objects: under a loaded machine this outlasts the 10 s hook default.
  }, 30_000);

  it("has a documented rule for every route the app serves", () => {
    const missing = routesOfApp().filter((r) => !(r in EXPECTED));
    expect(missing, "add these routes to EXPECTED in test/workers/auth-matrix.test.ts and to the table of docs/security.md").toEqual([]);
  });

  const cases = routesOfApp()
    .filter((r) => r in EXPECTED)
    .flatMap((r) => CALLERS.map((caller) => [r, caller] as const));

  it.each(cases)("%s as %s gets only its documented outcome", async (routeKey, caller) => {
    const rule = EXPECTED[routeKey] as Expectation;
    const [method, path] = routeKey.split(" ") as [string, string];
    const headers: Record<string, string> = { "content-type": "application/json", ...rule.headers };
    const auth = HEADER[caller];
    if (auth) headers.authorization = auth;
    const body = rule.body?.(caller, fixture);
    const url = `http://switchboard.test${rule.path ? rule.path(fixture) : concretePath(path, fixture)}`;
    const response = await exports.default.fetch(
      new Request(url, { method, headers, redirect: "manual", ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }),
    );
    const text = await response.text();
    const want = expected(rule, caller);
    expect(response.status, `${routeKey} as ${caller}: ${text.slice(0, 300)}`).toBe(want);
    rule.answer?.[caller]?.(JSON.parse(text));
    if (want >= 400 && !(rule.protocol && want !== 401 && want !== 403)) {
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = JSON.parse(text);
      expect(problem.status).toBe(want);
      if (want === 401) expect(problem.code).toBe("unauthorized");
      if (want === 403) expect(problem.code).toBe("forbidden");
    }
  });

  // CORS (functions/http/cors.ts) with a browser origin allowed: a preflight of every route is
  // answered and runs nothing; a real request from that page without a key is exactly as above.
  const PAGE = "https://app.example.com";
  const browserEnv = { ...env, SWITCHBOARD_CORS_ORIGINS: PAGE };
  const fromPage = (url: string, init: RequestInit) => app.fetch(new Request(url, { redirect: "manual", ...init }), browserEnv, createExecutionContext());

  it.each(routesOfApp().filter((r) => r in EXPECTED))("%s: a preflight grants nothing, and the page without a key gets the same answer", async (routeKey) => {
    const rule = EXPECTED[routeKey] as Expectation;
    const [method, path] = routeKey.split(" ") as [string, string];
    const url = `http://switchboard.test${rule.path ? rule.path(fixture) : concretePath(path, fixture)}`;
    const pre = await fromPage(url, {
      method: "OPTIONS",
      headers: { origin: PAGE, "access-control-request-method": method, "access-control-request-headers": "authorization,content-type" },
    });
    expect(pre.status).toBe(204);
    expect(await pre.text()).toBe("");
    expect(pre.headers.get("access-control-allow-origin")).toBe(PAGE);
    const body = rule.body?.("none", fixture);
    const res = await fromPage(url, {
      method,
      headers: { origin: PAGE, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    expect(res.status, `${routeKey} from ${PAGE}: ${text.slice(0, 300)}`).toBe(rule.fromPage ?? expected(rule, "none"));
  });

  it("left the guarded agent as configured: no denied call changed it", async () => {
    const entry = await api("GET", `/agents/${fixture.agent}`);
    expect(entry.body.acl).toEqual({ allow: ["planner"] });
    // Whatever route it tried, the denied caller's message never reached the agent.
    const calls = await received(fixture.agent);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.map((call) => JSON.parse(call.body).from)).not.toContain("outsider");
    const outsider = entry.body.peers.find((p: { agent: string }) => p.agent === "outsider");
    expect(outsider?.status ?? "rejected").toBe("rejected");
  });
});

/** Calls the worker under test through its real fetch handler, as an HTTP client would. */
import { env, exports } from "cloudflare:workers";
import { auth, type KEYS } from "./keys";
import type { ModelCall } from "./model-server";
import type { Received } from "./test-server";
import { eventually } from "./poll";

export { eventually };

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = any>(
  method: string,
  path: string,
  options: { as?: keyof typeof KEYS | null; body?: unknown; raw?: BodyInit; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const who = options.as === undefined ? "admin" : options.as;
  const headers = { ...(who ? auth(who) : { "content-type": "application/json" }), ...options.headers };
  const init: RequestInit = { method, headers };
  if (options.raw !== undefined) init.body = options.raw;
  else if (options.body !== undefined) init.body = JSON.stringify(options.body);
  const response = await exports.default.fetch(new Request(`http://switchboard.test${path}`, init));
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: response.status, headers: response.headers, body: body as T };
}

/** Base URL of the loopback test server (test/support/test-server.ts). */
export function testServer(): string {
  return `http://127.0.0.1:${env.TEST_SERVER_PORT}`;
}

/** Base URL of the loopback model server (test/support/model-server.ts) for `key` and modifiers. */
export function modelServer(key: string, ...modifiers: string[]): string {
  return [`http://127.0.0.1:${env.MODEL_SERVER_PORT}/m/${key}`, ...modifiers].join("/");
}

/** URL of the loopback MCP server (test/support/mcp-server.ts): `scenario` is mcp, auth, garbage or down. */
export function mcpServer(key: string, scenario = "mcp"): string {
  return `http://127.0.0.1:${env.MCP_SERVER_PORT}/${scenario}/${key}`;
}

/** The tools/call requests the loopback MCP server received for `key`. */
export async function mcpServerCalls(key: string): Promise<Array<{ tool: string; arguments: unknown; headers: Record<string, string> }>> {
  return (await (await fetch(`http://127.0.0.1:${env.MCP_SERVER_PORT}/_calls/${key}`)).json()) as any;
}

/** What the model server received for `key`, and how many calls it served. */
export async function modelServerCalls(key: string): Promise<ModelCall[]> {
  return (await (await fetch(`http://127.0.0.1:${env.MODEL_SERVER_PORT}/_calls/${key}`)).json()) as ModelCall[];
}

/** A name no other test uses, so tests sharing storage never see each other's agents. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Waits until an async request reaches one of `statuses` and returns its state. */
export function settled(requestId: string, statuses = ["replied", "failed", "dead_lettered", "timed_out"], timeoutMs = 20_000): Promise<any> {
  return eventually(
    async () => {
      const res = await api("GET", `/requests/${requestId}`);
      return statuses.includes(res.body.status) ? res.body : undefined;
    },
    timeoutMs,
    `request ${requestId} to settle`,
  );
}

/** What the loopback test server received for `key`, oldest first. */
export async function received(key: string): Promise<Received[]> {
  return (await (await fetch(`${testServer()}/_calls/${key}`)).json()) as Received[];
}

/** Sends `n` async messages to `name` from `tenant` (`metadata.tenant`, the key flow tests use); answers their request ids. */
export async function sendAsTenant(name: string, tenant: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: { tenant, i }, metadata: { tenant } } });
    if (res.status !== 202) throw new Error(`POST /agents/${name}/messages: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(res.body.request_id);
  }
  return ids;
}

/** What the loopback test server counted for `key` (test/support/test-server.ts `/_stats`). */
export interface TestServerStats {
  /** Most requests it held at once. */
  max_in_flight: number;
  /** Successful answers by request id. */
  handled: Record<string, number>;
  /** Per `metadata.tenant` of `/tenants/...` calls: most at once, and when each started and ended (epoch ms). */
  tenants: Record<string, { max_in_flight: number; starts: number[]; ends: number[] }>;
}

export async function testServerStats(key: string): Promise<TestServerStats> {
  return (await (await fetch(`${testServer()}/_stats/${key}`)).json()) as TestServerStats;
}

/** The per-tenant counts of `testServerStats`. */
export async function tenantStats(key: string): Promise<TestServerStats["tenants"]> {
  return (await testServerStats(key)).tenants;
}

/** What the loopback test server received for `key`, each body parsed as JSON. */
export async function receivedJson(key: string): Promise<Array<Omit<Received, "body"> & { body: any }>> {
  return (await received(key)).map((r) => ({ ...r, body: JSON.parse(r.body) }));
}

/**
 * A remote HTTP agent whose loopback endpoint holds every request until its client aborts it
 * (`aborted` tells when); the agent's name is also its loopback key.
 */
export async function holdingAgent(extra: Record<string, unknown> = {}): Promise<{ name: string; key: string }> {
  const name = uniqueName("held");
  const put = await api("PUT", `/agents/${name}`, {
    body: { kind: "http", url: `${testServer()}/hold/${name}`, description: "Holds the request until it is cancelled.", ...extra },
  });
  if (put.status !== 200) throw new Error(`PUT /agents/${name}: ${put.status} ${JSON.stringify(put.body)}`);
  return { name, key: name };
}

/** The newest inbound row of `agent`'s log whose outcome is `outcome`, once it is there. */
export function inboundRow(agent: string, outcome: string): Promise<any> {
  return eventually(
    async () =>
      (await api("GET", `/agents/${agent}/log`)).body.entries.find(
        (r: { direction: string; outcome: string }) => r.direction === "in" && r.outcome === outcome,
      ),
    20_000,
    `an inbound ${outcome} row in ${agent}'s log`,
  );
}

/** Waits until the loopback test server has received a request for `key` (its `/_arrived` hook). */
export async function arrived(key: string): Promise<void> {
  const res = await fetch(`${testServer()}/_arrived/${key}`);
  if (!res.ok) throw new Error(`no request for ${key} reached the test server`);
  await res.body?.cancel();
}

/** Waits until a request for `key` held by the test server (`/hold/<key>`) was aborted by its client. */
export async function aborted(key: string): Promise<{ aborted: boolean; after_ms: number }> {
  const res = await fetch(`${testServer()}/_aborted/${key}`);
  if (!res.ok) throw new Error(`the held request for ${key} was never aborted`);
  return (await res.json()) as { aborted: boolean; after_ms: number };
}

/** Answers every request the test server holds for `key` (`/hold/<key>`), and later ones at once. */
export async function release(key: string): Promise<void> {
  await (await fetch(`${testServer()}/_release/${key}`)).body?.cancel();
}

/** POST /agents/:name/invoke asking for an event stream (`Accept: text/event-stream`); read the body as it comes. */
export function invokeStream(name: string, body: unknown, who: keyof typeof KEYS = "admin", path = `/agents/${name}/invoke`): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://switchboard.test${path}`, { method: "POST", headers: { ...auth(who), accept: "text/event-stream" }, body: JSON.stringify(body) }),
  );
}

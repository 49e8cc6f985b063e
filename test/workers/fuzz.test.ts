/**
 * Thousands of generated hostile requests against the worker's fetch handler: every answer is a
 * 4xx problem+json (or a 2xx for input that is odd but valid), never a 5xx; nothing is polluted;
 * health still answers afterwards. A seeded PRNG makes a failure reproducible:
 * `FUZZ_SEED=1234 npx vitest run --project workers test/workers/fuzz.test.ts`.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { KEYS } from "../support/keys";

const SEED = Number(env.FUZZ_SEED ?? 0x5eed);
const COUNT = 2400;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: BodyInit;
  /** Input that must be refused (4xx); otherwise any non-5xx answer is fine. */
  reject: boolean;
}

const TEN_MB = "x".repeat(10 * 1024 * 1024);
const DEEP_ARRAY = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;

function generator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const admin = () => ({ authorization: `Bearer ${KEYS.admin}`, "content-type": "application/json" });
  const someone = () =>
    pick([admin(), { authorization: `Bearer ${KEYS.planner}`, "content-type": "application/json" }, { authorization: `Bearer ${KEYS.outsider}` }]);
  // A2A's JSON-RPC answers its own error objects, so it is not in this list.
  const bodyRoute = () =>
    pick([
      "/agents/echo/invoke",
      "/agents/echo/messages",
      "/agents/fuzz-target",
      "/agents/echo/handshake",
      "/webhooks/echo",
      "/patterns/map-reduce",
      "/agents/echo/events",
    ]);
  const methodFor = (path: string) => (path === "/agents/fuzz-target" ? "PUT" : "POST");
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const weirdString = () =>
    pick([
      "\u0000",
      "\u202e",
      "\ud800",
      "𝕏",
      "é",
      "\r\n",
      "<script>alert(1)</script>",
      "../../etc/passwd",
      "%00",
      "$" + "{jndi:ldap://x}",
      "'; DROP TABLE agents;--",
    ]).repeat(1 + int(4));
  const withBody = (kind: string, body: BodyInit, reject: boolean, headers: Record<string, string> = admin()): Case => {
    const path = bodyRoute();
    // Webhooks are refused without a signature whatever the body, so every case is a reject there.
    return { kind, method: methodFor(path), path, headers, body, reject: reject || path.startsWith("/webhooks") };
  };

  const kinds: Array<() => Case> = [
    () => {
      const valid = JSON.stringify({ content: { a: [1, 2, { b: "c" }] }, metadata: { type: "t" } });
      const broken = pick([
        valid.slice(0, 1 + int(valid.length - 2)),
        valid.replace("{", "{,"),
        `${valid}}`,
        "{'content': 1}",
        '{"content": NaN}',
        '{"content": undefined}',
        '{"content": 01}',
        '{"content": "\\x41"}',
        "",
        "   ",
        "nul",
        '{"content":1,}',
      ]);
      return withBody("malformed-json", broken, true);
    },
    () => {
      const c = withBody("ten-megabytes", TEN_MB, true);
      // Mostly with a declared length (refused before reading); some streamed without one.
      return rand() < 0.8
        ? c
        : {
            ...c,
            kind: "ten-megabytes-streamed",
            body: new ReadableStream({
              pull(controller) {
                controller.enqueue(new TextEncoder().encode(TEN_MB.slice(0, 1024 * 1024)));
                if (rand() < 0.1) controller.close();
              },
            }),
          };
    },
    () => withBody("deep", `{"content":${pick([DEEP_ARRAY, DEEP_OBJECT])}}`, true),
    () =>
      withBody(
        "wrong-types",
        JSON.stringify(
          pick([
            [],
            1,
            "content",
            null,
            true,
            { content: 1, timeout_ms: "10" },
            { content: 1, timeout_ms: -1 },
            { content: 1, timeout_ms: 1.5 },
            { content: 1, metadata: [] },
            { content: 1, metadata: "x" },
            { content: 1, metadata: { type: 7 } },
            { content: 1, idempotency_key: { a: 1 } },
            { content: 1, reply_to: "javascript:alert(1)" },
            { content: 1, surprise: true },
            { metadata: {} },
            { kind: "http", url: 42 },
            { kind: "http", url: "http://169.254.169.254/" },
            { kind: "http", url: "https://[::ffff:10.0.0.1]/" },
            { kind: "code" },
            { acl: { allow: "*" } },
            { limits: { max_concurrency: 1e9 } },
          ]),
        ),
        true,
      ),
    () =>
      withBody(
        "huge-numbers",
        pick(['{"content":1,"timeout_ms":1e400}', '{"content":1,"timeout_ms":9007199254740993}', '{"content":1,"timeout_ms":-0.0}']),
        true,
      ),
    () => withBody("huge-content-number", pick(['{"content":1e400}', '{"content":-1e400}', '{"content":123456789012345678901234567890}']), false),
    () => {
      const bytes = pick([
        Uint8Array.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0xff, 0xfe, 0x7d]),
        Uint8Array.from([0xc0, 0x80]),
        Uint8Array.from([0xed, 0xa0, 0x80]),
        Uint8Array.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
        randomBytes(1 + int(64)).map((b) => b | 0x80),
      ]);
      return withBody("invalid-utf8", bytes, true);
    },
    () => {
      const key = pick(["__proto__", "constructor", "prototype"]);
      const hostile = `{"${key}":{"polluted":"yes","prototype":{"polluted":"yes"}}}`;
      return withBody("prototype-keys", pick([`{"content":${hostile}}`, `{"content":1,"metadata":${hostile}}`, hostile]), false);
    },
    () => {
      const headers = pick<Record<string, string>>([
        { authorization: "Bearer" },
        { authorization: "Basic YWRtaW46YWRtaW4=" },
        { authorization: `Bearer ${KEYS.admin} extra` },
        { authorization: `Bearer ${"k".repeat(100_000)}` },
        { authorization: `bearer ${KEYS.admin}`, "content-type": "text/html" },
        { authorization: `Bearer ${KEYS.admin}`, "content-type": "multipart/form-data; boundary=x" },
        { authorization: `Bearer ${KEYS.admin}`, traceparent: `00-${"z".repeat(32)}-${"0".repeat(16)}-01` },
        { authorization: `Bearer ${KEYS.admin}`, traceparent: "x".repeat(10_000), "content-type": "application/json" },
        { authorization: `Bearer ${KEYS.admin}`, "content-length": "999999999999" },
      ]);
      const c = withBody("header-injection", '{"content":1}', false, headers);
      // A valid key with only odd trace headers is still a valid call.
      const benign = Boolean(headers.traceparent) || headers.authorization === `bearer ${KEYS.admin}`;
      return { ...c, reject: c.reject || (!benign && !headers["content-length"]) || headers["content-type"]?.startsWith("text/html") === true };
    },
    () => {
      const name = pick([
        "ЕСНО",
        "échо",
        "ｅｃｈｏ",
        "echo\u0000",
        "echo%0d%0aset-cookie:%20a=b",
        "-echo",
        "a".repeat(64),
        "%F0%9F%98%80",
        "..",
        "%2e%2e%2fhealth",
        "echo%2Finvoke",
        "ec ho",
      ]);
      const path = `/agents/${name}/${pick(["invoke", "messages", "log", "breaker", "handshake"])}`;
      return { kind: "unicode-names", method: pick(["GET", "POST"]), path, headers: someone(), body: undefined, reject: true };
    },
    () => {
      const path = pick([
        `/requests/${weirdString()}`,
        "/requests/req_echo_zzzzzzzzzzzzzzzzzzzzz",
        `/dlq?limit=${pick(["-1", "1e9", "abc", "99999999999"])}`,
        `/dlq/${encodeURIComponent(weirdString().toWellFormed())}`,
        `/agents/echo/log?limit=${pick(["-1", "0", "1e3", "NaN", "1001"])}`,
        `/${weirdString()}`,
        "/agents/echo/invoke/extra",
      ]);
      return {
        kind: "odd-paths",
        method: pick(["GET", "DELETE", "PATCH", "OPTIONS", "POST"]),
        path: path.replaceAll(/[\r\n]/g, ""),
        headers: someone(),
        reject: true,
      };
    },
    () => {
      const content = { text: weirdString(), [weirdString()]: weirdString() };
      return withBody("unicode-content", JSON.stringify({ content, metadata: { note: weirdString() } }), false);
    },
    () => {
      // Names every object inherits, names that are no agent, names reserved for principals: all
      // refused, none looked up on a prototype, none making an object (test/workers/unknown-names.test.ts).
      const inherited = pick(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]);
      const nobody = `nobody-${int(1e9)}`;
      const path = pick([
        `/webhooks/echo?source=${inherited}`,
        `/webhooks/${nobody}`,
        `/webhooks/${nobody}?source=github`,
        `/a2a/${nobody}/.well-known/agent-card.json`,
        `/a2a/${inherited.replaceAll("_", "")}/.well-known/agent.json`,
        "/agents/admin/invoke",
        "/agents/webhook/messages",
      ]);
      const method = path.startsWith("/a2a") ? "GET" : "POST";
      return {
        kind: "inherited-and-unknown-names",
        method,
        path,
        headers: path.startsWith("/agents") ? admin() : {},
        body: method === "POST" ? '{"content":1}' : undefined,
        reject: true,
      };
    },
    () => {
      // Limits in bytes, not UTF-16 units: 2- and 4-byte characters past 96 KiB of event data.
      const data = pick(["é".repeat(50_000 + int(40_000)), "😀".repeat(25_000 + int(20_000)), "€".repeat(33_000 + int(30_000))]);
      return {
        kind: "multibyte-event-data",
        method: "POST",
        path: "/agents/echo/events",
        headers: admin(),
        body: JSON.stringify({ event: "e", data }),
        reject: true,
      };
    },
    () => {
      // Refused in dev mode too (the pool runs with SWITCHBOARD_DEV=1, which allows loopback).
      const url = pick(["https://169.254.169.254../latest", "https://10.0.0.1.../", "https://metadata.google.internal../", "https://printer.local.../"]);
      const asAgent = rand() < 0.5;
      return asAgent
        ? { kind: "trailing-dot-urls", method: "PUT", path: "/agents/fuzz-target", headers: admin(), body: JSON.stringify({ kind: "http", url }), reject: true }
        : {
            kind: "trailing-dot-urls",
            method: "POST",
            path: "/agents/echo/messages",
            headers: admin(),
            body: JSON.stringify({ content: 1, reply_to: url }),
            reject: true,
          };
    },
  ];
  return () => (kinds[int(kinds.length)] as () => Case)();
}

/**
 * Hostile MCP requests. The endpoint answers the protocol's own errors (JSON-RPC error objects) for
 * what reaches the transport, and problem+json for what the HTTP edge refuses (key, agent name).
 */
function mcpGenerator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const headers = (): Record<string, string> => ({
    authorization: `Bearer ${pick([KEYS.admin, KEYS.planner, KEYS.outsider])}`,
    "content-type": pick(["application/json", "application/json", "text/plain", "application/json; charset=utf-8"]),
    accept: pick(["application/json, text/event-stream", "application/json, text/event-stream", "text/event-stream", "*/*"]),
    ...(rand() < 0.2 ? { "mcp-protocol-version": pick(["2025-06-18", "1999-01-01", "x".repeat(300)]) } : {}),
    ...(rand() < 0.15 ? { "mcp-session-id": pick(["mcp1.x", "", `mcp1.${"A".repeat(22)}.1.${"A".repeat(43)}`, "%00".repeat(10)]) } : {}),
  });
  const rpc = (method: unknown, params?: unknown, id: unknown = 1) =>
    JSON.stringify({ jsonrpc: "2.0", id, method, ...(params !== undefined ? { params } : {}) });
  const bodies: Array<() => BodyInit> = [
    () => pick(["{not json", "", "[", "[]", "null", "1", '"tools/list"', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}', "{'a':1}"]),
    () => pick([rpc("tools/list"), rpc("tools/list", { cursor: pick(["", "%%", "YWZ0ZXI6", btoa("after:../x"), "x".repeat(5000)]) })]),
    () =>
      rpc(
        "tools/call",
        pick([{ name: 1 }, { name: "echo", arguments: "x" }, { name: "echo", arguments: [] }, { name: "echo" }, { name: "nobody" }, { name: "../echo" }, {}]),
      ),
    () => rpc("tools/call", { name: "echo", arguments: { content: `${"[".repeat(5000)}${"]".repeat(5000)}` } }),
    () => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"content":${"[".repeat(10_000)}${"]".repeat(10_000)}}}}`,
    () => rpc(pick(["resources/list", "prompts/get", "sampling/createMessage", "", "__proto__", "tools/list/../x"])),
    () => rpc("tools/list", undefined, pick([null, { a: 1 }, [1], 1.5, "x".repeat(1000)])),
    () => JSON.stringify(Array.from({ length: pick([2, 50, 500]) }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }))),
    () => JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: pick([{ requestId: 1 }, { requestId: { a: 1 } }, {}, null]) }),
    () => TEN_MB,
    () => Uint8Array.from([0x7b, 0x22, 0x6a, 0x22, 0x3a, 0xff, 0xfe, 0x7d]),
  ];
  return (): Case => ({
    kind: "mcp",
    method: rand() < 0.9 ? "POST" : pick(["GET", "DELETE", "PUT", "PATCH"]),
    path: pick(["/mcp", "/mcp", "/mcp/echo", "/mcp/nobody", "/mcp/Bad_Name", "/mcp/echo/extra"]),
    headers: headers(),
    body: (bodies[int(bodies.length)] as () => BodyInit)(),
    reject: false,
  });
}

async function send(c: Case): Promise<{ status: number; type: string; text: string; headers: Headers }> {
  const request = new Request(`http://switchboard.test${c.path}`, {
    method: c.method,
    headers: c.headers,
    ...(c.body !== undefined && c.method !== "GET" ? { body: c.body, duplex: "half" } : {}),
  } as RequestInit);
  const response = await exports.default.fetch(request);
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text, headers: response.headers };
}

describe("fuzz", () => {
  it(`answers ${COUNT} hostile requests without a 5xx (seed ${SEED})`, { timeout: 120_000 }, async () => {
    await exports.default.fetch(
      new Request("http://switchboard.test/agents/fuzz-target", {
        method: "PUT",
        headers: { authorization: `Bearer ${KEYS.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ kind: "http", url: "https://example.com/agent" }),
      }),
    );
    const next = generator(mulberry32(SEED));
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < COUNT; i += 16) {
      const batch = Array.from({ length: Math.min(16, COUNT - i) }, next);
      const answers = await Promise.all(batch.map(send));
      answers.forEach((answer, j) => {
        const c = batch[j] as Case;
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        const shownHeaders = JSON.stringify(c.headers).slice(0, 200);
        const where = `#${i + j} ${c.kind} ${c.method} ${c.path.slice(0, 80)} ${shownHeaders} → ${answer.status} ${answer.text.slice(0, 100)}`;
        if (answer.status >= 500) failures.push(`5xx: ${where}`);
        else if (c.reject && (answer.status < 400 || answer.status >= 500)) failures.push(`not refused: ${where}`);
        else if (answer.status >= 400) {
          let problem: { status?: unknown; code?: unknown } = {};
          try {
            problem = JSON.parse(answer.text);
          } catch {}
          if (!answer.type.startsWith("application/problem+json") || problem.status !== answer.status || typeof problem.code !== "string") {
            failures.push(`not problem+json: ${where}`);
          }
        }
        if (answer.headers.get("set-cookie") !== null) failures.push(`header injected: ${where}`);
      });
      if (failures.length > 20) break;
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2000);
    expect(kinds.size).toBeGreaterThanOrEqual(12);

    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
    const health = await exports.default.fetch(new Request("http://switchboard.test/health"));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
  });

  it(`answers 400 hostile MCP requests with the protocol's errors or problem+json, never a 5xx (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const next = mcpGenerator(mulberry32(SEED ^ 0x3c9));
    const failures: string[] = [];
    for (let i = 0; i < 400; i += 16) {
      const batch = Array.from({ length: 16 }, next);
      const answers = await Promise.all(batch.map(send));
      answers.forEach((answer, j) => {
        const c = batch[j] as Case;
        const where = `#${i + j} ${c.method} ${c.path} ${JSON.stringify(c.headers).slice(0, 160)} ${String(c.body).slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 120)}`;
        if (answer.status >= 500) failures.push(`5xx: ${where}`);
        else if (answer.status >= 400) {
          let body: { status?: unknown; code?: unknown; jsonrpc?: unknown; error?: { code?: unknown } } = {};
          try {
            body = JSON.parse(answer.text);
          } catch {}
          const problem = answer.type.startsWith("application/problem+json") && body.status === answer.status && typeof body.code === "string";
          const rpcError = body.jsonrpc === "2.0" && typeof body.error?.code === "number";
          if (!problem && !rpcError) failures.push(`neither a problem nor a JSON-RPC error: ${where}`);
        } else if (answer.status === 200 && !answer.text.includes('"jsonrpc":"2.0"')) failures.push(`200 without JSON-RPC: ${where}`);
      });
      if (failures.length > 20) break;
    }
    expect(failures, `seed ${SEED}`).toEqual([]);
  });
});

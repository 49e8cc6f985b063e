import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, received, testServer, uniqueName } from "../support/api";

async function rawInvoke(body: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(
    new Request("http://switchboard.test/agents/echo/invoke", {
      method: "POST",
      headers: { authorization: "Bearer sk_test_admin", "content-type": "application/json", ...headers },
      body,
    }),
  );
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as { code: string; detail: string } };
}

describe("bad input gets a clear 4xx problem+json", () => {
  it.each([
    ["malformed JSON", "{not json", 400],
    ["empty body", "", 400],
    ["array body", "[1,2]", 400],
    ["missing content", '{"metadata":{}}', 400],
    ["unknown field", '{"content":1,"surprise":true}', 400],
    ["metadata not an object", '{"content":1,"metadata":[1]}', 400],
    ["timeout_ms a string", '{"content":1,"timeout_ms":"5"}', 400],
    ["timeout_ms too large", '{"content":1,"timeout_ms":999999999}', 400],
    ["type with control characters", '{"content":1,"metadata":{"type":"a\\u0000b"}}', 400],
    ["65 metadata keys", JSON.stringify({ content: 1, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }), 400],
    ["nesting deeper than 32", `{"content":${"[".repeat(40)}${"]".repeat(40)}}`, 400],
    ["body over 256 KiB", JSON.stringify({ content: "x".repeat(257 * 1024) }), 413],
  ])("%s → %i", async (_what, body, status) => {
    const res = await rawInvoke(body);
    expect(res.status).toBe(status);
    expect(res.type).toContain("application/problem+json");
    expect(res.body.code).toBe(status === 413 ? "payload_too_large" : "invalid_request");
    expect(res.body.detail.length).toBeGreaterThan(5);
  });

  it("names the offending field", async () => {
    const res = await rawInvoke('{"content":1,"timeout_ms":"5"}');
    expect(res.body.detail).toContain("timeout_ms");
  });

  it("rejects a non-JSON content type", async () => {
    const res = await rawInvoke('{"content":1}', { "content-type": "application/xml" });
    expect(res.status).toBe(400);
  });

  it("keeps __proto__ and constructor as plain data", async () => {
    const res = await rawInvoke('{"content":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}},"metadata":{"__proto__":{"admin":true}}}');
    expect(res.status).toBe(200);
    const reply = res.body as unknown as { content: Record<string, unknown>; metadata: Record<string, unknown> };
    expect(Object.hasOwn(reply.content, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("404s unknown routes with problem+json", async () => {
    const res = await api("GET", "/nowhere");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("authentication and access", () => {
  it("401s a missing or unknown key, 403s an agent key on admin routes", async () => {
    expect((await api("GET", "/agents", { as: null })).body.code).toBe("unauthorized");
    expect((await api("GET", "/agents", { as: null, headers: { authorization: "Bearer sk_wrong" } })).status).toBe(401);
    expect((await api("GET", "/agents", { as: null, headers: { authorization: "Basic sk_test_admin" } })).status).toBe(401);
    const put = await api("PUT", "/agents/someone", { as: "planner", body: { kind: "http", url: "https://example.com" } });
    expect(put.status).toBe(403);
    expect(put.body.code).toBe("forbidden");
    expect((await api("DELETE", "/agents/echo", { as: "planner" })).status).toBe(403);
    expect((await api("GET", "/agents/echo/log", { as: "planner" })).status).toBe(403);
    expect((await api("GET", "/agents/planner/log", { as: "planner" })).status).toBe(200);
  });

  it("enforces acl.allow for agent callers; admin may call every agent", async () => {
    const name = uniqueName("acl");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: ["planner"] } } });
    expect((await api("POST", `/agents/${name}/invoke`, { as: "planner", body: { content: 1 } })).status).toBe(200);
    const denied = await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: 1 } });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe("forbidden");
    expect((await api("POST", `/agents/${name}/messages`, { as: "summarizer", body: { content: 1 } })).status).toBe(403);
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: 1 } })).status).toBe(200);
    expect(await received(name)).toHaveLength(2);
  });

  it("applies the callee's ACL to ctx.invoke: an agent cannot reach what it may not call", async () => {
    await api("PUT", "/agents/summarizer", { body: { acl: { allow: ["echo"] } } });
    try {
      const res = await api("POST", "/agents/planner/invoke", { body: { content: "One. Two." } });
      expect(res.status).toBe(403);
      expect(res.body.detail).toContain("planner may not call summarizer");
    } finally {
      await api("DELETE", "/agents/summarizer");
    }
  });
});

describe("deadlines and loops", () => {
  it("504s when the agent does not answer before timeout_ms", async () => {
    const name = uniqueName("slow");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/slow/1000/${name}` } });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: 1, timeout_ms: 100 } });
    expect(res.status).toBe(504);
    expect(res.body.code).toBe("timeout");
  });

  it("the agent's own timeout_ms caps what a caller may ask for", async () => {
    const name = uniqueName("capped");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/slow/1000/${name}`, limits: { timeout_ms: 100 } } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: 1, timeout_ms: 60_000 } })).status).toBe(504);
  });

  it("508s a chain that revisits an agent", async () => {
    const a = uniqueName("loop-a");
    const b = uniqueName("loop-b");
    await api("PUT", `/agents/${a}`, { body: { kind: "http", url: `${testServer()}/ok/${a}`, handles: ["a-only"], next: b } });
    await api("PUT", `/agents/${b}`, { body: { kind: "http", url: `${testServer()}/ok/${b}`, handles: ["b-only"], next: a } });
    const res = await api("POST", `/agents/${a}/invoke`, { body: { content: 1, metadata: { type: "neither" } } });
    expect(res.status).toBe(508);
    expect(res.body.code).toBe("loop_detected");
    expect(res.body.detail).toContain(`${a} → ${b} → ${a}`);
  });

  it("508s a chain longer than the hop limit", async () => {
    const names = Array.from({ length: 18 }, (_, i) => uniqueName(`hop${i}`));
    for (const [i, name] of names.entries()) {
      await api("PUT", `/agents/${name}`, {
        body: { kind: "http", url: `${testServer()}/ok/${name}`, handles: ["end"], ...(names[i + 1] ? { next: names[i + 1], handles: [`only-${i}`] } : {}) },
      });
    }
    const res = await api("POST", `/agents/${names[0]}/invoke`, { body: { content: 1, metadata: { type: "end" } } });
    expect(res.status).toBe(508);
    expect(res.body.detail).toContain("hop limit");
  });
});

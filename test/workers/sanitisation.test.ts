import { describe, expect, it } from "vitest";
import { api, received, settled, testServer, uniqueName } from "../support/api";

const HOSTILE_KEYS = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}';

function expectUnpolluted(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
}

function ownValue(value: unknown, key: string): unknown {
  return Object.getOwnPropertyDescriptor(value, key)?.value;
}

describe("prototype-pollution keys are data", () => {
  it("round-trips __proto__, constructor and prototype keys in content and metadata", async () => {
    const raw = `{"content":${HOSTILE_KEYS},"metadata":${HOSTILE_KEYS.replace("{", '{"type":"t",')}}`;
    const res = await api("POST", "/agents/echo/invoke", { raw });
    expect(res.status).toBe(200);
    const content = res.body.content;
    expect(Object.hasOwn(content, "__proto__")).toBe(true);
    expect(ownValue(content, "__proto__")).toEqual({ polluted: "yes" });
    expect(content.constructor).toEqual({ prototype: { polluted: "yes" } });
    expect(content.prototype).toEqual({ polluted: "yes" });
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
    expectUnpolluted();
  });

  it("keeps __proto__ in metadata as data all the way to a remote agent (audit: silently dropped)", async () => {
    const name = uniqueName("proto-meta");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } })).status).toBe(200);
    const raw = '{"content":1,"metadata":{"__proto__":{"polluted":"yes"},"note":"kept"}}';
    expect((await api("POST", `/agents/${name}/invoke`, { raw })).status).toBe(200);
    const sent = await api("POST", `/agents/${name}/messages`, { raw });
    expect(sent.status).toBe(202);
    await settled(sent.body.request_id);
    const calls = await received(name);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const metadata = JSON.parse(call.body).metadata;
      expect(Object.hasOwn(metadata, "__proto__")).toBe(true);
      expect(ownValue(metadata, "__proto__")).toEqual({ polluted: "yes" });
      expect(metadata.note).toBe("kept");
    }
    expectUnpolluted();
  });

  it("keeps them as data through an async message too", async () => {
    const raw = `{"content":${HOSTILE_KEYS}}`;
    const res = await api("POST", "/agents/echo/messages", { raw });
    expect(res.status).toBe(202);
    expectUnpolluted();
  });

  it("refuses them where the schema is strict, without polluting the registry", async () => {
    const name = uniqueName("proto");
    const res = await api("PUT", `/agents/${name}`, { raw: `{"kind":"http","url":"https://example.com",${HOSTILE_KEYS.slice(1)}` });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    const acl = await api("PUT", `/agents/${name}`, {
      raw: '{"kind":"http","url":"https://example.com","acl":{"allow":["planner"],"__proto__":{"allow":["*"]}}}',
    });
    expect(acl.status).toBe(400);
    expectUnpolluted();
  });
});

describe("names, types and metadata", () => {
  it.each([
    ["/agents/echo%00/invoke", { content: 1 }],
    ["/agents/echo%0d%0aset-cookie:x/invoke", { content: 1 }],
    ["/agents/%C3%A9cho/invoke", { content: 1 }],
    ["/agents/echo/invoke", { content: 1, metadata: { type: "bill\u0007ing" } }],
    ["/agents/echo/invoke", { content: 1, metadata: { "ke\u0000y": "v" } }],
    ["/agents/echo/invoke", { content: 1, metadata: { note: "x".repeat(5000) } }],
    ["/agents/echo/invoke", { content: 1, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }],
    ["/agents/echo/invoke", { content: 1, metadata: { request_id: "a\nb" } }],
  ])("refuses %s %j with 400", async (path, body) => {
    const res = await api("POST", path, { body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses control characters in capabilities and descriptions", async () => {
    const name = uniqueName("ctl");
    for (const body of [
      { kind: "http", url: "https://example.com", capabilities: ["a\u0000b"] },
      { kind: "http", url: "https://example.com", handles: ["x\u001b[31m"] },
      { kind: "http", url: "https://example.com", description: "hi\u0007" },
    ]) {
      expect((await api("PUT", `/agents/${name}`, { body })).status, JSON.stringify(body)).toBe(400);
    }
    const multiline = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: "https://example.com", description: "line one\nline two\ttabbed" } });
    expect(multiline.status).toBe(200);
  });
});

describe("the message log keeps no keys", () => {
  it("redacts bearer keys and whsec_ secrets in previews", async () => {
    const content = "use Bearer sk_live_0123456789abcdef and whsec_c3dpdGNoYm9hcmQtZGV2LXNpZ25pbmc= please";
    expect((await api("POST", "/agents/echo/invoke", { body: { content } })).status).toBe(200);
    const log = await api("GET", "/agents/echo/log?limit=20");
    const row = log.body.entries.find((e: { preview: string | null }) => e.preview?.includes("please"));
    expect(row.preview).toContain("[redacted]");
    expect(row.preview).not.toContain("0123456789abcdef");
    expect(row.preview).not.toContain("c3dpdGNoYm9hcmQtZGV2LXNpZ25pbmc");
  });
});

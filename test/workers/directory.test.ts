/**
 * GET /agents at scale: the directory is sharded by name, and a listing is a k-way merge of the
 * shards in name order, a page at a time through an opaque cursor, with code agents merged in.
 */
import { describe, expect, it } from "vitest";
import { DIRECTORY_SHARDS, keyShard } from "../../lib/registry/shards";
import { api, testServer, uniqueName } from "../support/api";

const put = (name: string, body: Record<string, unknown> = {}) =>
  api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, ...body } });

async function register(names: string[], body: Record<string, unknown> = {}): Promise<void> {
  for (let i = 0; i < names.length; i += 10) {
    const results = await Promise.all(names.slice(i, i + 10).map((n) => put(n, body)));
    for (const r of results) expect(r.status).toBe(200);
  }
}

async function listPage(query: string): Promise<{ agents: Array<{ name: string }>; next_cursor: string | null }> {
  const res = await api("GET", `/agents?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe("GET /agents, paginated across directory shards", () => {
  it("pages in name order while agents are added and removed between pages", async () => {
    const prefix = uniqueName("pg");
    const names = Array.from({ length: 40 }, (_, i) => `${prefix}-${String(i * 10).padStart(3, "0")}`);
    await register(names);
    // The names land on many shards, so every page is a real merge.
    expect(new Set(names.map((n) => keyShard(n, DIRECTORY_SHARDS))).size).toBeGreaterThan(8);

    const seen: string[] = [];
    const added: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listPage(`prefix=${prefix}&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.agents.length).toBeLessThanOrEqual(7);
      seen.push(...page.agents.map((a) => a.name));
      cursor = page.next_cursor;
      pages++;
      if (pages === 2 && cursor) {
        // Between pages: one name before the position (not listed again), one after it (listed),
        // and one not yet listed removed (not listed).
        const last = seen[seen.length - 1] as string;
        const early = `${prefix}-000a`;
        const late = `${prefix}-395`;
        await register([early, late]);
        added.push(late);
        expect(last > early).toBe(true);
        expect((await api("DELETE", `/agents/${prefix}-200`)).status).toBe(204);
      }
    } while (cursor);
    const expected = [...names.filter((n) => n !== `${prefix}-200`), ...added].sort();
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
  });

  it("fills a page that one shard alone holds by asking that shard again, with inserts on it between pages", async () => {
    const prefix = uniqueName("one");
    // Names that all hash to one shard: every page is drawn from it, far past its first small share.
    const shard = keyShard(prefix, DIRECTORY_SHARDS);
    const onShard = (from: number) =>
      Array.from({ length: 4000 }, (_, i) => `${prefix}-${String(from + i).padStart(4, "0")}`).filter((n) => keyShard(n, DIRECTORY_SHARDS) === shard);
    const [early, ...rest] = onShard(0);
    const names = rest.slice(0, 25);
    const late = onShard(5000)[0] as string;
    await register(names);
    const stored = (await put(names[3] as string)).body;

    const seen: Array<{ name: string }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listPage(`prefix=${prefix}&limit=10${cursor ? `&cursor=${cursor}` : ""}`);
      if (page.next_cursor) expect(page.agents).toHaveLength(10);
      seen.push(...page.agents);
      cursor = page.next_cursor;
      if (++pages === 1) await register([early as string, late]);
    } while (cursor);
    // `early` sorts before the first page's position: not listed; `late` after it: listed.
    expect(seen.map((a) => a.name)).toEqual([...names, late]);
    // Listed entries are the stored entries, whole.
    expect(seen.find((a) => a.name === names[3])).toEqual(stored);
  });

  it("ends with next_cursor null, and refuses a cursor it did not give", async () => {
    const prefix = uniqueName("end");
    await register([`${prefix}-a`, `${prefix}-b`]);
    const first = await listPage(`prefix=${prefix}&limit=1`);
    expect(first.agents.map((a) => a.name)).toEqual([`${prefix}-a`]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await listPage(`prefix=${prefix}&limit=1&cursor=${first.next_cursor}`);
    expect(second).toEqual({ agents: [expect.objectContaining({ name: `${prefix}-b` })], next_cursor: null });

    for (const bad of ["not-a-cursor!", "eyJrIjoiZGxxIiwicCI6eyJhZnRlciI6ImEifX0", btoa("{}"), "x".repeat(3000)]) {
      const res = await api("GET", `/agents?cursor=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toMatchObject({ code: "invalid_request", detail: expect.stringContaining("cursor") });
    }
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=ten", "limit"],
      ["kind=robot", "kind"],
      ["prefix=UPPER", "prefix"],
    ] as const) {
      const res = await api("GET", `/agents?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.detail).toContain(field);
    }
  });

  it("filters by kind, capability and name prefix, code agents included", async () => {
    const prefix = uniqueName("flt");
    await register([`${prefix}-x`, `${prefix}-y`], { capabilities: ["translate"] });
    await register([`${prefix}-z`], { capabilities: ["summarize"] });
    const translate = await listPage(`capability=translate&prefix=${prefix}`);
    expect(translate.agents.map((a) => a.name)).toEqual([`${prefix}-x`, `${prefix}-y`]);
    const http = await listPage(`kind=http&prefix=${prefix}`);
    expect(http.agents).toHaveLength(3);
    expect((await listPage(`kind=model&prefix=${prefix}`)).agents).toEqual([]);

    const code = await listPage("kind=code&limit=500");
    expect(code.agents.map((a) => a.name)).toEqual(expect.arrayContaining(["echo", "greeter", "planner"]));
    expect(code.agents.every((a) => (a as { kind?: string }).kind === "code")).toBe(true);
    expect((await listPage("prefix=ech")).agents.map((a) => a.name)).toContain("echo");
  });

  it("pages a filtered listing across shards: every page full but the last, while matching and other agents are added between pages", async () => {
    const prefix = uniqueName("fpg");
    // Matching agents interleaved in name order with ones of another kind and capability, over many shards.
    const matching = Array.from({ length: 24 }, (_, i) => `${prefix}-${String(i * 10).padStart(3, "0")}`);
    const others = Array.from({ length: 24 }, (_, i) => `${prefix}-${String(i * 10 + 5).padStart(3, "0")}`);
    await register(matching, { capabilities: ["translate"] });
    await register(others, { capabilities: ["summarize"] });
    await Promise.all(others.slice(0, 6).map((n) => api("PUT", `/agents/${n}`, { body: { model: { provider: "local", model: "local-echo" } } })));
    expect(new Set(matching.map((n) => keyShard(n, DIRECTORY_SHARDS))).size).toBeGreaterThan(8);

    const query = `kind=http&capability=translate&prefix=${prefix}&limit=5`;
    const seen: string[] = [];
    const added: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listPage(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
      cursor = page.next_cursor;
      // A page is short only when it is the last: a short page that said more would follow is what a client cannot tell from the end.
      if (cursor) expect(page.agents).toHaveLength(5);
      for (const a of page.agents as Array<{ name: string; kind: string; capabilities: string[] }>) {
        expect(a.kind).toBe("http");
        expect(a.capabilities).toContain("translate");
      }
      seen.push(...page.agents.map((a) => a.name));
      pages++;
      if (pages === 2 && cursor) {
        // Between pages: a matching agent after the position (listed), one before it (not listed again),
        // and non-matching ones after it (never listed).
        const late = `${prefix}-999`;
        await register([late], { capabilities: ["translate"] });
        await register([`${prefix}-000a`], { capabilities: ["translate"] });
        await register([`${prefix}-998`, `${prefix}-997`], { capabilities: ["summarize"] });
        added.push(late);
      }
    } while (cursor);
    expect(seen).toEqual([...matching, ...added].sort());
    expect(pages).toBe(Math.ceil(seen.length / 5));
  });

  it("lists a code agent once, with its stored overrides, and filters it by them", async () => {
    const before = (await listPage("prefix=greeter")).agents;
    expect(before).toHaveLength(1);
    expect((await api("PUT", "/agents/greeter", { body: { capabilities: ["greet-overridden"] } })).status).toBe(200);
    try {
      const after = await listPage("prefix=greeter");
      expect(after.agents).toEqual([expect.objectContaining({ name: "greeter", capabilities: ["greet-overridden"] })]);
      expect((await listPage("capability=greet-overridden")).agents.map((a) => a.name)).toEqual(["greeter"]);
      // Its code default's capabilities no longer list it.
      for (const capability of (before[0] as { capabilities?: string[] }).capabilities ?? []) {
        expect((await listPage(`capability=${capability}&prefix=greeter`)).agents).toEqual([]);
      }
    } finally {
      expect((await api("DELETE", "/agents/greeter")).status).toBe(204);
    }
    expect((await listPage("prefix=greeter")).agents).toEqual(before);
  });
});

/**
 * The dead-letter store sharded by agent: an agent's letters live in the one shard its name
 * hashes to (the letter's id names it), `GET /dlq?agent=` reads that shard alone, and `GET /dlq`
 * merges every shard newest first through a cursor.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_SHARDS, keyShard } from "../../lib/registry/shards";
import type { DeadLetter } from "../../lib/resilience/dead-letter";
import { deadLetters, deadLetterShard, shardOfLetterId } from "../../lib/resilience/dead-letter-store";
import { api, uniqueName } from "../support/api";

function letter(agent: string, n = 0): DeadLetter {
  const at = new Date().toISOString();
  return {
    agent,
    queue: "fanout",
    body: { kind: "event", agent, n },
    error: { code: "agent_error", detail: `failure ${n}` },
    attempts: 3,
    first_failed_at: at,
    last_failed_at: at,
  };
}

/** Agents whose names hash to `count` different shards. */
function agentsOverShards(prefix: string, count: number): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < count; i++) {
    const name = uniqueName(`${prefix}${i}`);
    if (!byShard.has(keyShard(name, DEAD_LETTER_SHARDS))) byShard.set(keyShard(name, DEAD_LETTER_SHARDS), name);
  }
  return [...byShard.values()];
}

/** Every page of `path` (a /dlq listing), following the cursor. */
async function allPages(path: string, between?: (page: number) => Promise<void>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: any } = await api("GET", `${path}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    pages.push(res.body.entries.map((e: { id: string }) => e.id));
    cursor = res.body.cursor;
    await between?.(pages.length);
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe("GET /dlq over the dead-letter shards", () => {
  it("merges every shard newest first through its cursor; letters added between pages wait for a first page", async () => {
    const agents = agentsOverShards("merged", 8);
    const store = deadLetters(env);
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) for (const agent of agents) ids.push(await store.put(letter(agent, round)));
    for (const [i, id] of ids.entries()) expect(shardOfLetterId(id)).toBe(keyShard(agents[i % agents.length] as string, DEAD_LETTER_SHARDS));

    const everything = (await api("GET", "/dlq?limit=500")).body.entries.map((e: { id: string }) => e.id) as string[];
    expect(everything).toEqual([...everything].sort().reverse());
    expect(everything).toEqual(expect.arrayContaining(ids));

    const late: string[] = [];
    const pages = await allPages("/dlq?limit=5", async (page) => {
      if (page === 1) late.push(await store.put(letter(agents[3] as string, 99)));
    });
    const paged = pages.flat();
    expect(pages.slice(0, -1).every((p) => p.length === 5)).toBe(true);
    // In order, none twice, none missing; the letter added after page 1 is newer than it, so not on a later page.
    expect(paged).toEqual(everything);
    expect(paged).not.toContain(late[0]);
    expect((await api("GET", "/dlq?limit=1")).body.entries[0].id).toBe(late[0]);
  });

  it("lists one agent's letters from its own shard alone, page by page", async () => {
    const [agent] = agentsOverShards("own", 1) as [string];
    const store = deadLetters(env);
    const ids: string[] = [];
    for (let n = 0; n < 7; n++) ids.push(await store.put(letter(agent, n)));
    const home = keyShard(agent, DEAD_LETTER_SHARDS);
    for (let k = 0; k < DEAD_LETTER_SHARDS; k++) {
      const held = (await deadLetterShard(env, k).list({ agent, limit: 100 })).entries.length;
      expect(held, `letters in shard ${k}`).toBe(k === home ? 7 : 0);
    }
    const pages = await allPages(`/dlq?agent=${agent}&limit=3`);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...ids].sort().reverse());
  });

  it("reads, replays and deletes a letter in the shard its id names; refuses a cursor it did not give", async () => {
    const [agent] = agentsOverShards("by-id", 1) as [string];
    const id = await deadLetters(env).put(letter(agent));
    expect((await api("GET", `/dlq/${id}`)).body).toMatchObject({ id, agent, status: "dead", error: { detail: "failure 0" } });
    expect((await api("POST", `/dlq/${id}/replay`)).status).toBe(202);
    expect((await api("GET", `/dlq/${id}`)).body).toMatchObject({ status: "replaying", replays: 1 });
    expect((await api("DELETE", `/dlq/${id}`)).status).toBe(204);
    expect((await api("GET", `/dlq/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/dlq/${id}`)).status).toBe(404);

    for (const cursor of ["nope", "dlq_short", `${id}x`, "eyJrIjoiYWdlbnRzIn0"]) {
      const res = await api("GET", `/dlq?cursor=${cursor}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.detail).toMatch(/cursor/);
    }
  });

  it("counts each agent's letters once in /metrics", async () => {
    const agents = agentsOverShards("counted", 3);
    for (const [i, agent] of agents.entries()) for (let n = 0; n <= i; n++) await deadLetters(env).put(letter(agent, n));
    const text = (await api("GET", "/metrics")).body as string;
    for (const [i, agent] of agents.entries()) expect(text).toContain(`switchboard_dlq_size{agent="${agent}"} ${i + 1}`);
  });
});

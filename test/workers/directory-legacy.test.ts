/**
 * A deployment from before the directory was sharded kept every entry in one object named
 * "directory" (table `agents`). That object is shard 0 now: it keeps its own rows and sets the
 * others aside, and every other shard takes its rows over on its first start, before it answers.
 * Its own file, so no directory shard has started when the old layout is seeded. Storage is the
 * subject here, so the test writes the old table with SQL, as the old code did.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { DirectoryTable } from "../../lib/registry/directory-table";
import { DIRECTORY_SHARDS, keyShard } from "../../lib/registry/shards";
import { api, testServer } from "../support/api";

it("takes the single-object directory apart into its shards, every entry still listed", async () => {
  expect(await listDurableObjectIds(env.DIRECTORY)).toEqual([]);
  const names = Array.from({ length: 24 }, (_, i) => `legacy-${String(i).padStart(2, "0")}`);
  expect(new Set(names.map((n) => keyShard(n, DIRECTORY_SHARDS))).size).toBeGreaterThan(8);
  const home = env.DIRECTORY.get(env.DIRECTORY.idFromName("directory"));
  // Shard 0 started on an empty store; seed the old table as the old code wrote it, then start it again.
  await runInDurableObject(home, async (_, state) => {
    state.storage.sql.exec("CREATE TABLE agents (name TEXT PRIMARY KEY, entry TEXT NOT NULL, updated_at TEXT NOT NULL)");
    for (const name of names) {
      const entry = { name, kind: "http", description: "from before", capabilities: ["old"], url: `${testServer()}/ok/${name}` };
      state.storage.sql.exec("INSERT INTO agents (name, entry, updated_at) VALUES (?, ?, ?)", name, JSON.stringify(entry), new Date().toISOString());
    }
    new DirectoryTable(state.storage.sql).adoptLegacy(DIRECTORY_SHARDS);
  });

  const listed = await api("GET", "/agents?prefix=legacy-&limit=100");
  expect(listed.body.agents.map((a: { name: string }) => a.name)).toEqual(names);
  expect((await api("GET", "/agents?capability=old&limit=100")).body.agents).toHaveLength(24);
  // A shard that took its rows over owns them: a delete there is final.
  const gone = names.find((n) => keyShard(n, DIRECTORY_SHARDS) !== 0) as string;
  await api("PUT", `/agents/${gone}`, { body: { kind: "http", url: `${testServer()}/ok/${gone}` } });
  expect((await api("DELETE", `/agents/${gone}`)).status).toBe(204);
  expect((await api("GET", "/agents?prefix=legacy-&limit=100")).body.agents.map((a: { name: string }) => a.name)).toEqual(names.filter((n) => n !== gone));
  // Nothing is left set aside in shard 0.
  await runInDurableObject(home, (_, state) => {
    const table = new DirectoryTable(state.storage.sql);
    for (let k = 1; k < DIRECTORY_SHARDS; k++) expect(table.handover(k)).toEqual([]);
  });
});

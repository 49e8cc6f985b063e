/**
 * A deployment from before the dead-letter store was sharded kept every letter in one object,
 * "dlq". That object is shard 0 now: every other shard takes over its agents' letters on its first
 * start, before it answers, so every letter is still listed, per agent too, and found by its old
 * id. Its own file, so no shard has started when the old layout is seeded. Storage is the subject
 * here, so the test writes the old layout and reads shard 0's table directly.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { newId } from "../../lib/message/ids";
import { DEAD_LETTER_SHARDS, keyShard } from "../../lib/registry/shards";
import { DeadLetterTable } from "../../lib/resilience/dead-letter-table";
import { api } from "../support/api";

it("hands the single-object store's letters to their shards, every one still listed and found", async () => {
  expect(await listDurableObjectIds(env.DEAD_LETTER_STORE)).toEqual([]);
  const agents = Array.from({ length: 12 }, (_, i) => `before-${String(i).padStart(2, "0")}`);
  expect(new Set(agents.map((a) => keyShard(a, DEAD_LETTER_SHARDS))).size).toBeGreaterThan(5);
  const home = env.DEAD_LETTER_STORE.get(env.DEAD_LETTER_STORE.idFromName("dlq"));
  // Letters as the single object stored them: ids without a shard.
  const ids = await runInDurableObject(home, (_, state) => {
    const table = new DeadLetterTable(state.storage.sql, () => newId("dlq"));
    const at = new Date().toISOString();
    return agents.map((agent) =>
      table.put(
        { agent, queue: "fanout", body: { agent }, error: { code: "agent_error", detail: agent }, attempts: 2, first_failed_at: at, last_failed_at: at },
        Date.now(),
      ),
    );
  });
  expect(ids.every((id) => id.length === 25)).toBe(true);

  const listed = (await api("GET", "/dlq?limit=100")).body.entries.map((e: { id: string }) => e.id);
  expect([...listed].sort()).toEqual([...ids].sort());
  for (const [i, agent] of agents.entries()) {
    expect((await api("GET", `/dlq?agent=${agent}`)).body.entries.map((e: { id: string }) => e.id)).toEqual([ids[i]]);
    expect((await api("GET", `/dlq/${ids[i]}`)).body).toMatchObject({ agent, error: { detail: agent } });
  }
  const moved = agents.findIndex((a) => keyShard(a, DEAD_LETTER_SHARDS) !== 0);
  expect((await api("DELETE", `/dlq/${ids[moved]}`)).status).toBe(204);
  expect((await api("GET", "/dlq?limit=100")).body.entries).toHaveLength(agents.length - 1);
  // Shard 0 keeps only its own agents' letters.
  await runInDurableObject(home, (_, state) => {
    const held = state.storage.sql.exec<{ agent: string }>("SELECT agent FROM dead_letters").toArray();
    expect(held.map((r) => keyShard(r.agent, DEAD_LETTER_SHARDS))).toEqual(held.map(() => 0));
  });
});

/**
 * A sharded agent's own requests (ctx.request): the pending reply and the waiting handler live on
 * the shard that made the request, so the reply must be delivered there, not to the home object.
 */
import { describe, expect, it } from "vitest";
import { api } from "../support/api";

const SHARDS = 4;

describe("a sharded agent's own requests (ctx.request)", () => {
  it("get their replies on the shard that waits for them", { timeout: 90_000 }, async () => {
    const put = await api("PUT", "/agents/researcher", { body: { shards: SHARDS } });
    expect(put.body.shards).toBe(SHARDS);
    try {
      const answers = [];
      for (let i = 0; i < 6; i++) {
        answers.push(
          await api("POST", "/agents/researcher/invoke", { body: { content: { claim: `According to the source, ${i} agents replied.` }, timeout_ms: 8_000 } }),
        );
      }
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      for (const a of answers) expect(a.body.content).toMatchObject({ verification: { verdict: "supported" } });
      // The calls ran on several shards, and each shard logged the replies to its own requests.
      const log = await api("GET", "/agents/researcher/log?limit=200");
      const replies = log.body.entries.filter((e: { role: string; outcome: string }) => e.role === "reply" && e.outcome === "ok");
      expect(new Set(replies.map((r: { shard: number }) => r.shard)).size).toBeGreaterThan(1);
    } finally {
      await api("DELETE", "/agents/researcher");
    }
  });
});

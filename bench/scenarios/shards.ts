/**
 * Scenario 9 (issue 11 item 2): one hot agent over 1 vs 4 Durable Objects. Two local-model agents
 * (offline, deterministic, the handler runs inside the object), `shards: 1` and `shards: 4`, with a
 * concurrency cap high enough that the cap is not what is measured, driven with the same load in
 * alternating rounds. Skips until an agent config accepts `shards`.
 *
 * Note: wrangler dev runs every object in one local workerd process, on one thread, so this shows
 * what sharding costs and whether it spreads load, not the per-object ceiling of the deployed
 * runtime: here four shards cannot add capacity. They can cost some, since each object batches its
 * own log writes and trace announcements, so one object shares a commit among more calls than each
 * of four does. The target is that this costs at most 10% locally.
 */
import { must } from "../support/client.ts";
import { alternate } from "../support/load.ts";
import { ms, rps } from "../support/report.ts";
import { type Check, notYet, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio } from "../support/stats.ts";

const BODY = { content: "hello" };
const CONCURRENCY = 16;

export const shards: Scenario = {
  id: "shards",
  title: "one agent on 4 shards vs 1, same load",
  async run(ctx) {
    const config = (n: number) => ({ model: { provider: "local", model: "local-echo" }, shards: n, limits: { max_concurrency: 64 } });
    const four = await ctx.sb.request("PUT", "/agents/bench-shard-4", config(4));
    if (four.status === 400) return notYet(`an agent config does not accept shards: ${JSON.stringify(four.body?.detail ?? four.body)}`);
    must(four, 200, "register bench-shard-4");
    must(await ctx.sb.request("PUT", "/agents/bench-shard-1", config(1)), 200, "register bench-shard-1");
    const stats = await alternate(
      {
        four: () => ctx.sb.expect("POST", "/agents/bench-shard-4/invoke", BODY, 200),
        one: () => ctx.sb.expect("POST", "/agents/bench-shard-1/invoke", BODY, 200),
      },
      { ...ctx.load, concurrency: CONCURRENCY },
    );
    const log = await ctx.sb.request("GET", "/agents/bench-shard-4/log?limit=200");
    const shardsSeen = new Set((log.body?.entries ?? []).map((e: { shard?: number }) => e.shard ?? 0)).size;
    const { four: a, one: b } = stats;
    const checks: Check[] = [
      { measure: "throughput", subject: rps(a.rps), baseline: rps(b.rps), ratio: ratio(a.rps, b.rps), target: "≥ 0.9× (local)", pass: a.rps >= 0.9 * b.rps },
      { measure: "p99 latency", subject: ms(a.p99_ms), baseline: ms(b.p99_ms), ratio: ratio(a.p99_ms, b.p99_ms), target: "report", pass: true },
      { measure: "shards serving calls", subject: String(shardsSeen), baseline: "1", ratio: null, target: "= 4", pass: shardsSeen === 4 },
    ];
    const errors = a.errors + b.errors;
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { shards_4: a, shards_1: b, concurrency: CONCURRENCY, shards_in_log: shardsSeen },
      ...(errors > 0 ? { note: `${errors} requests did not answer 200` } : {}),
    };
  },
};

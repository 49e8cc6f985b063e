/**
 * Scenario 6 (issue 6): observer fan-out. 100 URL observers on the loopback; one
 * `POST /agents/:name/events` must reach all of them. Baseline: the bare worker puts 100 messages
 * on a queue in one sendBatch and its consumer POSTs each to the loopback (same batch size and
 * timeout as Switchboard's queues). Time is from the emitting request leaving the bench to the
 * 100th arrival. Target: ≤ 1.5× the bare queue, every observer delivered exactly once.
 */
import { client, must } from "../support/client.ts";
import { ms } from "../support/report.ts";
import { type Check, deliveriesCheck, type Scenario, statusOf } from "../support/scenario.ts";
import { sleep } from "../../test/support/wrangler-dev.ts";
import { median, ratio, round } from "../support/stats.ts";

const OBSERVERS = 100;
const DELIVERY_TIMEOUT_MS = 30_000;

export const fanout: Scenario = {
  id: "fanout",
  title: `event to ${OBSERVERS} URL observers vs a bare queue delivering ${OBSERVERS} messages`,
  async run(ctx) {
    const { sb, loopback } = ctx;
    const base = client(ctx.baseline.url);
    must(await sb.request("PUT", "/agents/bench-observed", { kind: "http", url: `${loopback.url}/hit/observed` }), 200, "register bench-observed");
    for (let i = 0; i < OBSERVERS; i++) {
      const attached = await sb.request("POST", "/agents/bench-observed/observers", { url: `${loopback.url}/hit/fan/${i}` });
      if (attached.status !== 201 && attached.status !== 200) must(attached, 201, `attach observer ${i}`);
    }

    // A round takes ~0.1 s, and one slow round (a compaction, a log flush, another tenant) moves a
    // median of four by tens of percent: ten rounds keep the median about the typical round.
    const rounds = ctx.quick ? 3 : 10;
    const timings = { switchboard: [] as number[], baseline: [] as number[] };
    // Round 0 warms both sides (queue consumers, connections) and is not counted.
    for (let r = 0; r <= rounds; r++) {
      const t0 = performance.now();
      const emitted = must(await sb.request("POST", "/agents/bench-observed/events", { event: "bench.tick", data: { round: r } }), 202, "emit");
      if (emitted.body.observers !== OBSERVERS) throw new Error(`event reached ${emitted.body.observers} observers, expected ${OBSERVERS}`);
      const sbDone = await loopback.waitFor("fan", OBSERVERS * (r + 1), DELIVERY_TIMEOUT_MS);

      const t1 = performance.now();
      must(await base.request("POST", "/queue/fanout", { url: `${loopback.url}/hit/basefan`, n: OBSERVERS }), 202, "baseline fan-out");
      const baseDone = await loopback.waitFor("basefan", OBSERVERS * (r + 1), DELIVERY_TIMEOUT_MS);
      if (r === 0) continue;
      timings.switchboard.push(sbDone - t0);
      timings.baseline.push(baseDone - t1);
    }
    // A redelivery would show up late: wait a moment, then count every arrival.
    await sleep(1500);
    const expected = OBSERVERS * (rounds + 1);
    const delivered = loopback.count("fan");
    const sbTime = median(timings.switchboard);
    const baseTime = median(timings.baseline);
    const checks: Check[] = [
      {
        measure: "time to deliver all (median)",
        subject: ms(sbTime),
        baseline: ms(baseTime),
        ratio: ratio(sbTime, baseTime),
        target: "≤ 1.5×",
        pass: sbTime <= 1.5 * baseTime,
      },
      deliveriesCheck(delivered, loopback.count("basefan"), expected),
    ];
    return {
      status: statusOf(checks),
      checks,
      figures: {
        rounds,
        switchboard_ms: timings.switchboard.map((t) => round(t, 1)),
        baseline_ms: timings.baseline.map((t) => round(t, 1)),
        delivered,
        expected,
      },
    };
  },
};

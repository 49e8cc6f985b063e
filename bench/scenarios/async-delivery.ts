/**
 * Scenario 7 (issue 11): async delivery throughput, enqueue → handler. N messages through
 * `POST /agents/:name/messages` to a remote agent on the loopback (request stored in the agent's
 * object, queued, consumed, delivered through the pipeline, reply stored) against the bare worker
 * putting each message on a queue whose consumer POSTs it to the loopback. Both sides get one HTTP
 * request per message at the same concurrency; throughput counts until the N-th arrival. Our
 * target: at least half the bare queue's throughput, every message delivered once.
 */
import { client, type Client, must } from "../support/client.ts";
import type { Loopback } from "../support/loopback.ts";
import { msgs } from "../support/report.ts";
import { type Check, deliveriesCheck, type Scenario, statusOf } from "../support/scenario.ts";
import { sleep } from "../../test/support/wrangler-dev.ts";
import { ratio, round } from "../support/stats.ts";

const CONCURRENCY = 8;
const DELIVERY_TIMEOUT_MS = 60_000;

interface Side {
  bucket: string;
  send(i: number): Promise<boolean>;
}

/** Sends `n` messages at CONCURRENCY and resolves with the msg/s until the last one arrived. */
async function pump(side: Side, loopback: Loopback, n: number): Promise<number> {
  const already = loopback.count(side.bucket);
  let next = 0;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) if (!(await side.send(next++))) refused++;
    }),
  );
  if (refused > 0) throw new Error(`${refused} of ${n} messages were refused`);
  const last = await loopback.waitFor(side.bucket, already + n, DELIVERY_TIMEOUT_MS);
  return n / ((last - t0) / 1000);
}

export const asyncDelivery: Scenario = {
  id: "async-delivery",
  title: "POST /agents/:name/messages to a remote agent vs a bare queue + consumer",
  async run(ctx) {
    const { sb, loopback } = ctx;
    const base: Client = client(ctx.baseline.url);
    must(await sb.request("PUT", "/agents/bench-sink", { kind: "http", url: `${loopback.url}/hit/sink` }), 200, "register bench-sink");
    const switchboard: Side = { bucket: "sink", send: (i) => sb.expect("POST", "/agents/bench-sink/messages", { content: i }, 202) };
    const baseline: Side = { bucket: "basesink", send: (i) => base.expect("POST", "/queue/send", { url: `${loopback.url}/hit/basesink`, body: { i } }, 202) };

    const n = ctx.quick ? 100 : 250;
    const rounds = ctx.quick ? 1 : 2;
    await pump(switchboard, loopback, 25);
    await pump(baseline, loopback, 25);
    const rates = { switchboard: [] as number[], baseline: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      rates.switchboard.push(await pump(switchboard, loopback, n));
      rates.baseline.push(await pump(baseline, loopback, n));
    }
    await sleep(1500);
    const expected = 25 + n * rounds;
    const delivered = loopback.count("sink");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sbRate = mean(rates.switchboard);
    const baseRate = mean(rates.baseline);
    const checks: Check[] = [
      {
        measure: "throughput",
        subject: msgs(sbRate),
        baseline: msgs(baseRate),
        ratio: ratio(sbRate, baseRate),
        target: "≥ 0.5× (ours)",
        pass: sbRate >= 0.5 * baseRate,
      },
      deliveriesCheck(delivered, loopback.count("basesink"), expected),
    ];
    return {
      status: statusOf(checks),
      checks,
      figures: {
        messages_per_round: n,
        rounds,
        concurrency: CONCURRENCY,
        switchboard_msg_s: rates.switchboard.map((x) => round(x, 1)),
        baseline_msg_s: rates.baseline.map((x) => round(x, 1)),
        delivered,
        expected,
      },
    };
  },
};

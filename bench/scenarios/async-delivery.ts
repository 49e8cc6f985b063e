/**
 * Scenario 7 (issue 11): async delivery throughput, enqueue → handler. N messages through
 * `POST /agents/:name/messages` to a remote agent on the loopback (request stored in the agent's
 * object, queued, consumed, delivered through the pipeline, reply stored) against the bare worker
 * putting each message on a queue whose consumer POSTs it to the loopback. Both sides get one HTTP
 * request per message at the same concurrency; throughput counts until the N-th arrival. Our
 * target: at least half the bare queue's throughput (issue 25's: 0.7×), every message delivered
 * once; each side's worker CPU per message is reported too, and the same against the bare queue
 * with the least the durability guarantee takes (a row stored in an object before the 202, marked
 * delivered before the ack).
 */
import { client, type Client, must } from "../support/client.ts";
import { type CpuMeter, cpuMeter } from "../support/cpu.ts";
import type { Loopback } from "../support/loopback.ts";
import { msgs, us } from "../support/report.ts";
import { type Check, deliveriesCheck, type Scenario, statusOf } from "../support/scenario.ts";
import { sleep } from "../../test/support/wrangler-dev.ts";
import { ratio, round } from "../support/stats.ts";

const CONCURRENCY = 8;
const DELIVERY_TIMEOUT_MS = 60_000;
const CPU_SETTLE_MS = 300;

interface Side {
  bucket: string;
  send(i: number): Promise<boolean>;
  /** The worker's CPU (bench/support/cpu.ts); null off Linux. */
  cpu: CpuMeter | null;
  /** Worker CPU µs per message, per measured round. */
  cpuPerMessage: number[];
}

/** Sends `n` messages at CONCURRENCY and resolves with the msg/s until the last one arrived; records the worker CPU per message. */
async function pump(side: Side, loopback: Loopback, n: number): Promise<number> {
  const already = loopback.count(side.bucket);
  const cpu0 = side.cpu?.read().worker;
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
  // The delivery's own bookkeeping (the row's update, the log row) ends just after the arrival.
  await sleep(CPU_SETTLE_MS);
  const cpu1 = side.cpu?.read().worker;
  if (cpu0 !== undefined && cpu1 !== undefined) side.cpuPerMessage.push(((cpu1 - cpu0) * 1000) / n);
  return n / ((last - t0) / 1000);
}

export const asyncDelivery: Scenario = {
  id: "async-delivery",
  title: "POST /agents/:name/messages to a remote agent vs a bare queue + consumer",
  async run(ctx) {
    const { sb, loopback } = ctx;
    const base: Client = client(ctx.baseline.url);
    must(await sb.request("PUT", "/agents/bench-sink", { kind: "http", url: `${loopback.url}/hit/sink` }), 200, "register bench-sink");
    const switchboard: Side = {
      bucket: "sink",
      send: (i) => sb.expect("POST", "/agents/bench-sink/messages", { content: i }, 202),
      cpu: cpuMeter(ctx.switchboard),
      cpuPerMessage: [],
    };
    const baseline: Side = {
      bucket: "basesink",
      send: (i) => base.expect("POST", "/queue/send", { url: `${loopback.url}/hit/basesink`, body: { i } }, 202),
      cpu: cpuMeter(ctx.baseline),
      cpuPerMessage: [],
    };
    // The bare side plus the least the guarantee takes: a row stored in an object before the 202, marked delivered before the ack.
    const stored: Side = {
      bucket: "basestored",
      send: (i) => base.expect("POST", "/queue/stored", { url: `${loopback.url}/hit/basestored`, body: { i } }, 202),
      cpu: baseline.cpu,
      cpuPerMessage: [],
    };

    const n = ctx.quick ? 100 : 250;
    const rounds = ctx.quick ? 1 : 2;
    await pump(switchboard, loopback, 25);
    await pump(baseline, loopback, 25);
    await pump(stored, loopback, 25);
    // The warm-up's CPU includes the worker's first build and the objects' start: not counted.
    for (const side of [switchboard, baseline, stored]) side.cpuPerMessage.length = 0;
    const rates = { switchboard: [] as number[], baseline: [] as number[], stored: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      rates.switchboard.push(await pump(switchboard, loopback, n));
      rates.baseline.push(await pump(baseline, loopback, n));
      rates.stored.push(await pump(stored, loopback, n));
    }
    await sleep(1500);
    const expected = 25 + n * rounds;
    const delivered = loopback.count("sink");
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sbRate = mean(rates.switchboard);
    const baseRate = mean(rates.baseline);
    const storedRate = mean(rates.stored);
    const sbCpu = switchboard.cpuPerMessage.length ? mean(switchboard.cpuPerMessage) : undefined;
    const baseCpu = baseline.cpuPerMessage.length ? mean(baseline.cpuPerMessage) : undefined;
    const storedCpu = stored.cpuPerMessage.length ? mean(stored.cpuPerMessage) : undefined;
    const checks: Check[] = [
      {
        measure: "throughput",
        subject: msgs(sbRate),
        baseline: msgs(baseRate),
        ratio: ratio(sbRate, baseRate),
        target: "≥ 0.5× (ours)",
        pass: sbRate >= 0.5 * baseRate,
      },
      {
        measure: "throughput (issue 25)",
        subject: msgs(sbRate),
        baseline: msgs(baseRate),
        ratio: ratio(sbRate, baseRate),
        target: "≥ 0.7×",
        pass: sbRate >= 0.7 * baseRate,
      },
      {
        measure: "throughput vs bare + a stored row",
        subject: msgs(sbRate),
        baseline: msgs(storedRate),
        ratio: ratio(sbRate, storedRate),
        target: "report",
        pass: true,
      },
      ...(sbCpu !== undefined && baseCpu !== undefined
        ? [
            {
              // Submit and delivery together, over the rounds (bench/README.md, "async-delivery").
              measure: "worker CPU / message",
              subject: us(sbCpu),
              baseline: us(baseCpu),
              ratio: ratio(sbCpu, baseCpu),
              target: "report",
              pass: true,
            },
          ]
        : []),
      ...(sbCpu !== undefined && storedCpu !== undefined
        ? [
            {
              measure: "worker CPU / message vs bare + a stored row",
              subject: us(sbCpu),
              baseline: us(storedCpu),
              ratio: ratio(sbCpu, storedCpu),
              target: "report",
              pass: true,
            },
          ]
        : []),
      deliveriesCheck(delivered, Math.min(loopback.count("basesink"), loopback.count("basestored")), expected),
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
        stored_baseline_msg_s: rates.stored.map((x) => round(x, 1)),
        stored_baseline_cpu_us_per_message: stored.cpuPerMessage.map((x) => round(x, 0)),
        switchboard_cpu_us_per_message: switchboard.cpuPerMessage.map((x) => round(x, 0)),
        baseline_cpu_us_per_message: baseline.cpuPerMessage.map((x) => round(x, 0)),
        delivered,
        expected,
      },
    };
  },
};

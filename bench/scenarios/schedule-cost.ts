/**
 * Schedules (issue 22): what a scheduled firing costs against a plain async message, in CPU of
 * the worker's runtime per message delivered. Plain: N messages through `POST
 * /agents/:name/messages` (route, object, queue, delivery). Scheduled: S schedules of
 * `every_ms: 1000` firing for T seconds (alarm, firing plan, the same object submit, queue,
 * delivery). Both deliver to the same loopback; the worker's idle CPU over the same time is
 * taken off both. The firing skips the HTTP edge but adds the alarm: target at most 1.5× the
 * plain message.
 */
import { must } from "../support/client.ts";
import { cpuMeter } from "../support/cpu.ts";
import { us } from "../support/report.ts";
import { type Check, type Scenario, notYet, statusOf } from "../support/scenario.ts";
import { sleep } from "../../test/support/wrangler-dev.ts";
import { ratio, round } from "../support/stats.ts";

const CONCURRENCY = 8;
const PLAIN = "bench-plain";
const CRON = "bench-cron";

export const scheduleCost: Scenario = {
  id: "schedule-cost",
  title: "CPU per delivered message: a schedule's firing vs a plain async message",
  async run(ctx) {
    const { sb, loopback } = ctx;
    const cpu = cpuMeter(ctx.switchboard);
    if (!cpu) return notYet("a CPU meter (Linux /proc) for the worker's runtime");
    for (const name of [PLAIN, CRON])
      must(await sb.request("PUT", `/agents/${name}`, { kind: "http", url: `${loopback.url}/hit/${name}` }), 200, `register ${name}`);
    const seconds = ctx.quick ? 5 : 10;
    const schedules = ctx.quick ? 20 : 50;
    const n = schedules * seconds;

    // Idle: what the runtime burns with nothing to do, per second.
    const idle0 = cpu.read().worker;
    await sleep(2000);
    const idlePerMs = (cpu.read().worker - idle0) / 2000;

    // Plain messages, at CONCURRENCY, until the last one arrived.
    const plain0 = cpu.read().worker;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) await sb.expect("POST", `/agents/${PLAIN}/messages`, { content: next++ }, 202);
      }),
    );
    await loopback.waitFor(PLAIN, n, 120_000);
    const plainMs = performance.now() - t0;
    const plainCpu = cpu.read().worker - plain0 - idlePerMs * plainMs;

    // The same number of firings: S schedules, each once a second, for T seconds.
    const ids: string[] = [];
    for (let i = 0; i < schedules; i++) {
      ids.push(must(await sb.request("POST", `/agents/${CRON}/schedules`, { every_ms: 1000, content: i, catch_up: "none" }), 201, "create a schedule").body.id);
    }
    const cron0 = cpu.read().worker;
    const c0 = performance.now();
    const arrived0 = loopback.count(CRON);
    await loopback.waitFor(CRON, arrived0 + n, 120_000);
    const cronMs = performance.now() - c0;
    const cronCpu = cpu.read().worker - cron0 - idlePerMs * cronMs;
    for (const id of ids) await sb.request("DELETE", `/agents/${CRON}/schedules/${id}`);

    const plainUs = (plainCpu * 1000) / n;
    const firingUs = (cronCpu * 1000) / n;
    const checks: Check[] = [
      {
        measure: "CPU per message",
        subject: us(firingUs),
        baseline: us(plainUs),
        ratio: ratio(firingUs, plainUs),
        target: "≤ 1.5× (firing vs plain)",
        pass: firingUs <= 1.5 * plainUs,
      },
    ];
    return {
      status: statusOf(checks),
      checks,
      figures: {
        messages: n,
        schedules,
        seconds,
        idle_cpu_ms_per_s: round(idlePerMs * 1000, 1),
        plain_cpu_us_per_message: round(plainUs, 0),
        firing_cpu_us_per_message: round(firingUs, 0),
        plain_wall_ms: round(plainMs, 0),
        firing_wall_ms: round(cronMs, 0),
      },
      note: "worker runtime CPU only (not wrangler's dev proxy, which production does not have); idle CPU taken off both",
    };
  },
};

/**
 * Scenario 1 (issue 3 item 10): the full sync pipeline (auth, validation, envelope, one Durable
 * Object round trip, breaker, pool, handler, message log) against a bare Hono route → DO RPC echo.
 * A second bare route that also writes one SQLite row per call (as the message log does) is
 * measured alongside, to show how much of the gap is that durable write rather than the pipeline.
 */
import { client } from "../support/client.ts";
import { cpuMeter } from "../support/cpu.ts";
import { countRoundTrips } from "../support/do-calls.ts";
import { alternate } from "../support/load.ts";
import { ms, rps, us } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio } from "../support/stats.ts";

const BODY = { content: "hello" };

export const syncInvoke: Scenario = {
  id: "sync-invoke",
  title: "POST /agents/echo/invoke vs Hono → Durable Object echo",
  async run(ctx) {
    const base = client(ctx.baseline.url);
    const baseCpu = cpuMeter(ctx.baseline);
    const stats = await alternate(
      {
        switchboard: () => ctx.sb.expect("POST", "/agents/echo/invoke", BODY, 200),
        baseline: () => base.expect("POST", "/echo", BODY, 200),
        logged: () => base.expect("POST", "/echo-logged", BODY, 200),
      },
      // Both bare routes are served by the baseline worker: they share its meter, round by round.
      { ...ctx.load, cpu: { switchboard: cpuMeter(ctx.switchboard), baseline: baseCpu, logged: baseCpu } },
    );
    const trips = await countRoundTrips(ctx.switchboard.url, "/agents/echo/invoke", BODY, ctx.quick ? 20 : 50);
    const { switchboard: sb, baseline: bl, logged } = stats;
    const checks: Check[] = [
      { measure: "throughput", subject: rps(sb.rps), baseline: rps(bl.rps), ratio: ratio(sb.rps, bl.rps), target: "≥ 0.9×", pass: sb.rps >= 0.9 * bl.rps },
      {
        measure: "p99 latency",
        subject: ms(sb.p99_ms),
        baseline: ms(bl.p99_ms),
        ratio: ratio(sb.p99_ms, bl.p99_ms),
        target: "≤ 1.5×",
        pass: sb.p99_ms <= 1.5 * bl.p99_ms,
      },
      ...(sb.cpu_us_per_request !== undefined && bl.cpu_us_per_request !== undefined
        ? [
            {
              // Moves less with the machine's other tenants than req/s (bench/README.md, "CPU per request").
              measure: "worker CPU / request",
              subject: us(sb.cpu_us_per_request),
              baseline: us(bl.cpu_us_per_request),
              ratio: ratio(sb.cpu_us_per_request, bl.cpu_us_per_request),
              target: "report",
              pass: true,
            },
          ]
        : []),
      {
        measure: "throughput vs bare + 1 SQLite row",
        subject: rps(sb.rps),
        baseline: rps(logged.rps),
        ratio: ratio(sb.rps, logged.rps),
        target: "report",
        pass: true,
      },
      {
        measure: "DO round trips / invoke (worker → object)",
        subject: trips.from_worker.join("|"),
        baseline: "1",
        ratio: null,
        target: "exactly 1",
        pass: trips.failed === 0 && trips.from_worker.length === 1 && trips.from_worker[0] === 1,
      },
      {
        // Calls an agent object makes to other objects while serving a plain echo, awaited or not
        // (e.g. fire-and-forget bookkeeping): each is another object's work per invoke.
        measure: "object → object calls / echo invoke",
        subject: String(trips.from_objects_per_request),
        baseline: "0",
        ratio: null,
        target: "= 0",
        pass: trips.from_objects_per_request === 0,
      },
      {
        // Trace sightings and metrics pushes go once a second / per flush interval per object,
        // whatever the number of calls: a count over a short window says when the timer fired.
        measure: "timed batches (trace index, metrics) / echo invoke",
        subject: String(trips.batched_per_request),
        baseline: "",
        ratio: null,
        target: "report",
        pass: true,
      },
    ];
    const errors = sb.errors + bl.errors + logged.errors;
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { switchboard: sb, baseline: bl, baseline_with_log_write: logged, round_trips: trips, concurrency: ctx.load.concurrency },
      ...(errors > 0 ? { note: `${errors} requests did not answer 200` } : {}),
    };
  },
};

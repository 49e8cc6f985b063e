/**
 * Scenario 3 (issue 5): an open breaker fails fast. A remote agent on a loopback endpoint that
 * always answers 500 is invoked until its breaker opens; then its invokes (503 circuit_open) are
 * measured against the same kind of agent succeeding (a healthy remote agent on loopback), and the
 * failing endpoint's hit counter must not move.
 *
 * A fast fail cannot be cheaper than a request that does nothing, so `GET /health` (no Durable
 * Object, no auth) is measured as the floor, and the fast fail must reach it: that shows it does no
 * work beyond the edge. `echo` is reported too, but it is not the target: it is an in-process code
 * agent, the cheapest successful invoke there is, and under `wrangler dev` even the floor is less
 * than 2× an echo (the runtime's fixed cost per request dominates both), so "≥ 2× echo" would
 * measure the local runtime, not the breaker. The ceiling row shows that bound in every run.
 */
import { must } from "../support/client.ts";
import { alternate } from "../support/load.ts";
import { rps } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio } from "../support/stats.ts";

const BODY = { content: "hi" };
const THRESHOLD = 3;

export const breakerOpen: Scenario = {
  id: "breaker-open",
  title: "invoke with an open breaker vs a successful echo invoke",
  async run(ctx) {
    const { sb, loopback } = ctx;
    must(
      await sb.request("PUT", "/agents/bench-broken", {
        kind: "http",
        url: `${loopback.url}/fail/broken`,
        // A recovery far beyond the scenario, so no half-open probe reaches the endpoint meanwhile.
        breaker: { failure_threshold: THRESHOLD, recovery_timeout_ms: 3_600_000 },
      }),
      200,
      "register bench-broken",
    );
    must(await sb.request("PUT", "/agents/bench-healthy", { kind: "http", url: `${loopback.url}/hit/healthy` }), 200, "register bench-healthy");
    for (let i = 0; i < THRESHOLD; i++) must(await sb.request("POST", "/agents/bench-broken/invoke", BODY), 502, `failing call ${i + 1}`);
    const breaker = must(await sb.request("GET", "/agents/bench-broken/breaker"), 200, "read breaker").body as { state: string };
    if (breaker.state !== "open") throw new Error(`breaker is ${breaker.state} after ${THRESHOLD} failures`);
    const hitsWhenOpened = loopback.count("broken");

    const stats = await alternate(
      {
        open: () => sb.expect("POST", "/agents/bench-broken/invoke", BODY, 503),
        echo: () => sb.expect("POST", "/agents/echo/invoke", BODY, 200),
        healthy: () => sb.expect("POST", "/agents/bench-healthy/invoke", BODY, 200),
        floor: async () => {
          const res = await fetch(`${sb.url}/health`);
          await res.arrayBuffer();
          return res.ok;
        },
      },
      // Four sides: fewer rounds keep the scenario near the others' length.
      { ...ctx.load, rounds: Math.max(2, ctx.load.rounds - 2) },
    );
    const leaked = loopback.count("broken") - hitsWhenOpened;
    const { open, echo, healthy, floor } = stats;
    const checks: Check[] = [
      {
        measure: "throughput vs the same agent kind succeeding (healthy http agent)",
        subject: rps(open.rps),
        baseline: rps(healthy.rps),
        ratio: ratio(open.rps, healthy.rps),
        target: "≥ 2×",
        pass: open.rps >= 2 * healthy.rps,
      },
      {
        measure: "throughput vs GET /health floor (no work beyond the edge)",
        subject: rps(open.rps),
        baseline: rps(floor.rps),
        ratio: ratio(open.rps, floor.rps),
        target: "≥ 0.9×",
        pass: open.rps >= 0.9 * floor.rps,
      },
      {
        measure: "throughput vs echo (in-process code agent)",
        subject: rps(open.rps),
        baseline: rps(echo.rps),
        ratio: ratio(open.rps, echo.rps),
        target: "report",
        pass: true,
      },
      {
        measure: "ceiling: GET /health floor vs echo",
        subject: rps(floor.rps),
        baseline: rps(echo.rps),
        ratio: ratio(floor.rps, echo.rps),
        target: "report",
        pass: true,
      },
      { measure: "calls reaching the agent while open", subject: String(leaked), baseline: "0", ratio: null, target: "= 0", pass: leaked === 0 },
    ];
    const errors = open.errors + echo.errors + healthy.errors + floor.errors;
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { open, echo, healthy, health_floor: floor, calls_while_open: leaked, calls_to_open_it: hitsWhenOpened },
      ...(errors > 0 ? { note: `${errors} requests got an unexpected status` } : {}),
    };
  },
};

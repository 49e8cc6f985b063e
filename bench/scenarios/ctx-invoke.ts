/**
 * Scenario 2 (issue 11): what one agent → agent hop costs. `planner` calls `summarizer` through
 * ctx.invoke (a second Durable Object round trip, made from planner's object, plus both logs);
 * the baseline is invoking `summarizer` directly. Both handlers are trivial, so the difference is
 * the hop. Our target: a hop costs no more than a whole extra invoke, i.e. planner keeps at least
 * half of summarizer's throughput; and the hop is exactly one more object → object call.
 */
import { countRoundTrips } from "../support/do-calls.ts";
import { alternate } from "../support/load.ts";
import { ms, rps } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio, round } from "../support/stats.ts";

const BODY = { content: "Ship it. Tell the team." };

export const ctxInvoke: Scenario = {
  id: "ctx-invoke",
  title: "planner (ctx.invoke → summarizer) vs summarizer directly",
  async run(ctx) {
    const stats = await alternate(
      {
        planner: () => ctx.sb.expect("POST", "/agents/planner/invoke", BODY, 200),
        summarizer: () => ctx.sb.expect("POST", "/agents/summarizer/invoke", BODY, 200),
      },
      ctx.load,
    );
    // One traceparent for every counted call: per-trace bookkeeping (the trace index learns each
    // agent of a trace once) is then paid on the first call only, and what is counted is the hop.
    const warm = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    await countRoundTrips(ctx.switchboard.url, "/agents/planner/invoke", BODY, 1, warm);
    const trips = await countRoundTrips(ctx.switchboard.url, "/agents/planner/invoke", BODY, ctx.quick ? 10 : 25, warm);
    const { planner: p, summarizer: s } = stats;
    const checks: Check[] = [
      { measure: "throughput", subject: rps(p.rps), baseline: rps(s.rps), ratio: ratio(p.rps, s.rps), target: "≥ 0.5× (ours)", pass: p.rps >= 0.5 * s.rps },
      {
        measure: "p50 latency",
        subject: ms(p.p50_ms),
        baseline: ms(s.p50_ms),
        ratio: ratio(p.p50_ms, s.p50_ms),
        target: "≤ 2× (ours)",
        pass: p.p50_ms <= 2 * s.p50_ms,
      },
      {
        measure: "DO calls / planner invoke",
        subject: `${trips.from_worker.join("|")} + ${trips.from_objects_per_request} obj→obj`,
        baseline: "1 + 0",
        ratio: null,
        target: "1 + exactly 1",
        pass: trips.failed === 0 && trips.from_worker.join() === "1" && trips.from_objects_per_request === 1,
      },
    ];
    const errors = p.errors + s.errors;
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { planner: p, summarizer: s, hop_p50_ms: round(p.p50_ms - s.p50_ms), round_trips: trips },
      ...(errors > 0 ? { note: `${errors} requests did not answer 200` } : {}),
    };
  },
};

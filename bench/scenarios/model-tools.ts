/**
 * Issue 18: what the tool loop costs. A model agent with three tools on the offline local-router
 * model makes one tool call per request (summarizer), through the AI SDK's loop: two model calls,
 * argument validation, one agent → agent hop. The same-run baseline is planner, a code agent that
 * calls summarizer with ctx.invoke directly: the same hop without the loop. Target: the model agent
 * takes at most 1.3× planner's time (p50), and keeps at least 1/1.3 of its throughput.
 */
import { must } from "../support/client.ts";
import { alternate } from "../support/load.ts";
import { ms, rps } from "../support/report.ts";
import { type Check, notYet, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio, round } from "../support/stats.ts";

const BODY = { content: "Summarize: Ship it. Tell the team." };
const TARGET = 1.3;

export const modelTools: Scenario = {
  id: "model-tools",
  title: "model agent (local-router, 3 tools, 1 tool call) vs planner's direct ctx.invoke",
  async run(ctx) {
    const put = await ctx.sb.request("PUT", "/agents/bench-tools", { model: { model: "local-router" }, tools: ["summarizer", "fact-checker", "wordcount"] });
    if (put.status === 400) return notYet(`model agents with tools are refused: ${JSON.stringify(put.body?.detail ?? put.body)}`);
    must(put, 200, "register bench-tools");
    const probe = must(await ctx.sb.request("POST", "/agents/bench-tools/invoke", BODY), 200, "probe bench-tools");
    const calls = (probe.body.metadata?.steps ?? []).map((s: { tool: string; outcome: string }) => `${s.tool}:${s.outcome}`);
    const stats = await alternate(
      {
        tools: () => ctx.sb.expect("POST", "/agents/bench-tools/invoke", BODY, 200),
        direct: () => ctx.sb.expect("POST", "/agents/planner/invoke", BODY, 200),
      },
      ctx.load,
    );
    const { tools: t, direct: d } = stats;
    const checks: Check[] = [
      {
        measure: "tool calls / request",
        subject: calls.join(", ") || "none",
        baseline: "summarizer:ok",
        ratio: null,
        target: "exactly 1",
        pass: calls.length === 1 && calls[0] === "summarizer:ok",
      },
      {
        measure: "p50 latency",
        subject: ms(t.p50_ms),
        baseline: ms(d.p50_ms),
        ratio: ratio(t.p50_ms, d.p50_ms),
        target: `≤ ${TARGET}×`,
        pass: t.p50_ms <= TARGET * d.p50_ms,
      },
      {
        measure: "throughput",
        subject: rps(t.rps),
        baseline: rps(d.rps),
        ratio: ratio(t.rps, d.rps),
        target: `≥ ${round(1 / TARGET)}×`,
        pass: t.rps * TARGET >= d.rps,
      },
    ];
    const errors = t.errors + d.errors;
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { tools: t, direct: d, loop_p50_ms: round(t.p50_ms - d.p50_ms), usage: probe.body.metadata?.usage ?? null },
      ...(errors > 0 ? { note: `${errors} requests did not answer 200` } : {}),
    };
  },
};

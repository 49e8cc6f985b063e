/**
 * Scenario 12 (issue 23): what a request costs as the number of agents grows. The same worker
 * holds more and more configured agents (local-model agents: nothing leaves the machine); at each
 * size the scenario measures the requests whose cost could grow with it — the first and a middle
 * page of `GET /agents?limit=100`, `GET /metrics`, `GET /dlq?limit=50`, and a sync invoke — and
 * compares each with itself at the smallest size. The target is within 1.5× at the largest size.
 *
 * Bounded in count and time: the sizes are fixed (10 and 1,000 with --quick; 100, 1,000 and 10,000
 * otherwise), registering stops at a time budget (20 minutes; the sizes reached are reported), and each
 * measurement is a fixed number of requests with a time limit. 60 dead letters (of 60 agents, over
 * every dead-letter shard) are made first, so a DLQ page is full at every size.
 *
 * Each size is measured once the worker has finished what the registering itself set off: every
 * PUT's agent object pushes its metrics report within the flush interval, and the last ~10 s of
 * PUTs land their pushes while the first measures run. That work grows with the rate agents were
 * just added at, not with how many there are, so the scenario waits the interval out, then until
 * the worker's own CPU (from /proc, which other tenants of the machine do not move) is quiet.
 */
import type { Client } from "../support/client.ts";
import { type CpuMeter, cpuMeter } from "../support/cpu.ts";
import { must } from "../support/client.ts";
import { runLoad } from "../support/load.ts";
import { ms } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { type LoadStats, ratio } from "../support/stats.ts";

const TARGET = 1.5;
const LETTERS = 60;
const REGISTER_CONCURRENCY = 32;
/** Registering all sizes may take this long (quick: 2 minutes); the run's ceiling leaves room to measure after it. */
const REGISTER_BUDGET_MS = 20 * 60_000;
const MEASURE = { concurrency: 4, warmup: { requests: 20, ms: 2000 }, measure: { requests: 100, ms: 6000 } };
const AGENT = { model: { provider: "local", model: "local-echo" } };
/**
 * Settling after a size is registered: the worker's default SWITCHBOARD_METRICS_FLUSH_MS (10 s) and
 * a margin, then until a second passes with under 5% of a core of worker CPU, for at most a minute.
 */
const SETTLE = { atLeastMs: 12_000, windowMs: 1000, quietCpuMs: 50, atMostMs: 60_000 };

const name = (i: number) => `scale-${String(i).padStart(5, "0")}`;

/** Registers agents `from`…`to − 1`, stopping at `deadline`; returns how many exist then. */
async function register(sb: Client, from: number, to: number, deadline: number): Promise<number> {
  let next = from;
  const worker = async () => {
    while (next < to && performance.now() < deadline) {
      const i = next++;
      must(await sb.request("PUT", `/agents/${name(i)}`, AGENT), 200, `register ${name(i)}`);
    }
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, worker));
  return next;
}

/** The cursor of the page halfway through the listing (walking there once). */
async function middleCursor(sb: Client, agents: number): Promise<string | null> {
  let cursor: string | null = null;
  for (let page = 0; page < Math.floor(agents / 200); page++) {
    const res = must(await sb.request("GET", `/agents?limit=100${cursor ? `&cursor=${cursor}` : ""}`), 200, "page through /agents");
    cursor = res.body.next_cursor;
    if (cursor === null) break;
  }
  return cursor;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function deadLetters(sb: Client, loopback: string): Promise<void> {
  for (let i = 0; i < LETTERS; i++) {
    const agent = `scale-dlq-${i}`;
    must(
      await sb.request("PUT", `/agents/${agent}`, { kind: "http", url: `${loopback}/fail/scale-dlq`, limits: { max_retries: 0 } }),
      200,
      `register ${agent}`,
    );
    must(await sb.request("POST", `/agents/${agent}/messages`, { content: "to the dead letters" }), 202, `message ${agent}`);
  }
  const until = performance.now() + 60_000;
  while (performance.now() < until) {
    const page = await sb.request("GET", `/dlq?limit=${LETTERS}`);
    if ((page.body?.entries ?? []).filter((e: { agent: string }) => e.agent.startsWith("scale-dlq-")).length >= LETTERS) return;
    await sleep(250);
  }
  throw new Error(`fewer than ${LETTERS} dead letters after 60 s`);
}

/** Waits until the worker is idle (see SETTLE); how long it took, and whether it was idle then. */
async function settle(cpu: CpuMeter | null): Promise<{ ms: number; quiet: boolean | null }> {
  const started = performance.now();
  await sleep(SETTLE.atLeastMs);
  if (cpu === null) return { ms: Math.round(performance.now() - started), quiet: null };
  let quiet = false;
  while (!quiet && performance.now() - started < SETTLE.atMostMs) {
    const before = cpu.read().worker;
    await sleep(SETTLE.windowMs);
    quiet = cpu.read().worker - before < SETTLE.quietCpuMs;
  }
  return { ms: Math.round(performance.now() - started), quiet };
}

type Measures = Record<string, LoadStats>;

async function measureAt(sb: Client, agents: number): Promise<Measures> {
  const middle = await middleCursor(sb, agents);
  const get = (path: string) => () => sb.expect("GET", path, undefined, 200);
  const shots: Record<string, () => Promise<boolean>> = {
    "GET /agents (first page)": get("/agents?limit=100"),
    "GET /agents (middle page)": get(`/agents?limit=100${middle ? `&cursor=${middle}` : ""}`),
    "GET /metrics": get("/metrics"),
    "GET /dlq?limit=50": get("/dlq?limit=50"),
    "sync invoke": () => sb.expect("POST", `/agents/${name(0)}/invoke`, { content: "hello" }, 200),
  };
  const out: Measures = {};
  for (const [measure, shot] of Object.entries(shots)) out[measure] = await runLoad(shot, MEASURE);
  return out;
}

export const scale: Scenario = {
  id: "scale",
  title: "cost per request against the number of agents",
  optIn: true,
  // 10,000 PUTs take several minutes on 2 cores (each configures an object, a directory shard and a metrics push).
  runLimitMs: 30 * 60_000,
  async run(ctx) {
    const sizes = ctx.quick ? [10, 1000] : [100, 1000, 10_000];
    await deadLetters(ctx.sb, ctx.loopback.url);
    const started = performance.now();
    const budget = started + (ctx.quick ? 120_000 : REGISTER_BUDGET_MS);
    const cpu = cpuMeter(ctx.switchboard);
    const bySize: Array<{ agents: number; settled: { ms: number; quiet: boolean | null }; measures: Measures }> = [];
    let registered = 0;
    let registering = 0;
    for (const size of sizes) {
      const from = performance.now();
      registered = await register(ctx.sb, registered, size, budget);
      registering += performance.now() - from;
      const settled = await settle(cpu);
      bySize.push({ agents: registered + LETTERS, settled, measures: await measureAt(ctx.sb, registered) });
      if (registered < size) break;
    }
    const perSecond = registering > 0 ? Math.round((registered / registering) * 1000) : 0;
    const first = bySize[0];
    const last = bySize[bySize.length - 1];
    if (!first || !last || bySize.length < 2) return { status: "error", checks: [], figures: { bySize }, note: "registering took the whole budget" };
    const checks: Check[] = Object.keys(first.measures).map((measure) => {
      const small = first.measures[measure] as LoadStats;
      const large = last.measures[measure] as LoadStats;
      const r = ratio(large.p50_ms, small.p50_ms);
      return {
        measure: `${measure}, p50 at ${last.agents} vs ${first.agents} agents`,
        subject: ms(large.p50_ms),
        baseline: ms(small.p50_ms),
        ratio: r,
        target: `≤ ${TARGET}×`,
        pass: large.p50_ms <= TARGET * small.p50_ms,
      };
    });
    const errors = bySize.reduce((n, s) => n + Object.values(s.measures).reduce((m, l) => m + l.errors, 0), 0);
    const settling = bySize.map((s) => `${Math.round(s.settled.ms / 1000)} s${s.settled.quiet === false ? " (never quiet)" : ""}`).join(", ");
    const reached = registered < (sizes[sizes.length - 1] as number) ? `; registering stopped at ${registered} agents (time budget)` : "";
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: {
        sizes: bySize.map((s) => ({
          agents: s.agents,
          settled_ms: s.settled.ms,
          p50_ms: Object.fromEntries(Object.entries(s.measures).map(([k, v]) => [k, v.p50_ms])),
        })),
        bySize,
      },
      note: `sizes measured: ${bySize.map((s) => s.agents).join(", ")} agents (registered at ${perSecond}/s, ${Math.round((performance.now() - started) / 1000)} s in all; the worker settled for ${settling} before each size's measures)${reached}${errors > 0 ? `; ${errors} requests did not answer 200` : ""}`,
    };
  },
};

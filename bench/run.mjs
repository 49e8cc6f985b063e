#!/usr/bin/env node
/**
 * `npm run bench`: starts the Switchboard worker (instrumented entry, real wrangler.toml), the bare
 * baseline worker (bench/baseline) and the loopback servers, runs each scenario against its
 * same-run baseline, prints a table and writes bench/results/<ISO timestamp>.json. Scenarios start
 * any other worker they compare with (the `peer` scenario: bench/peer, on the Agents SDK).
 *
 *   npm run bench                         every scenario (about 7 minutes on 2 cores)
 *   npm run bench -- --quick              smaller load, fewer rounds (about 4 minutes)
 *   npm run bench -- --only sync-invoke   one scenario (repeat --only, or comma-separate, for more)
 *   npm run bench -- --only scale         cost against the number of agents (not in the default run:
 *                                         registering 10,000 agents takes minutes by itself; its
 *                                         ceiling is 30 minutes instead of 10)
 *   npm run bench -- --list               scenario ids
 *   npm run bench -- --profile --only x   also a CPU profile of the worker per scenario (slows it:
 *                                         for finding where time goes, not for quoting figures)
 *   npm run bench -- --dev-collector      keep wrangler's local trace collector on in every worker,
 *                                         as plain `wrangler dev` has it (off by default: see below)
 *
 * Exit code 1 when a scenario missed its target or errored; skipped scenarios do not count.
 * Plain .mjs so `node bench/run.mjs` works; the parts are TypeScript run by Node 22's type stripping.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { scenarios } from "./scenarios/index.ts";
import { parseArgs } from "./support/args.ts";
import { BENCH_ADMIN_KEY, client } from "./support/client.ts";
import { startLoopback } from "./support/loopback.ts";
import { startProfiler } from "./support/profile.ts";
import { machine, table, writeReport } from "./support/report.ts";
import { startWrangler } from "../test/support/wrangler-dev.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** A hard ceiling for the whole run, whatever a scenario does (an opt-in scenario may ask for longer). */
const DEFAULT_RUN_LIMIT_MS = 10 * 60_000;

const args = parseArgs(
  process.argv.slice(2),
  scenarios.map((s) => s.id),
);
if (args.list) {
  for (const s of scenarios) console.log(`${s.id.padEnd(16)} ${s.title}`);
  process.exit(0);
}
// A scenario that takes most of the run's time limit by itself (`optIn`) runs only when named.
const selected = args.only ? scenarios.filter((s) => args.only.includes(s.id)) : scenarios.filter((s) => !s.optIn);
const RUN_LIMIT_MS = Math.max(DEFAULT_RUN_LIMIT_MS, ...selected.map((s) => (s.optIn ? (s.runLimitMs ?? 0) : 0)));

/**
 * How the bench starts every worker: from the repository root; quiet, because wrangler prints a
 * line per request at "info", which in production nothing does; and without wrangler's local trace
 * collector, which receives every span of every invocation (each subrequest, each storage call)
 * and under `wrangler dev` took about 60% of a bare echo's worker CPU. Production has neither, and
 * both pad every side of a ratio, the collector in proportion to each side's spans. Warnings and
 * errors still show. `--dev-collector` measures with the collector on.
 */
const BENCH_WRANGLER = { root, logLevel: "warn", devCollector: args.devCollector };

/** Vars every Switchboard worker in the bench starts with. */
const SWITCHBOARD_VARS = {
  SWITCHBOARD_DEV: "1",
  SWITCHBOARD_API_KEYS: `admin=${BENCH_ADMIN_KEY}`,
  SWITCHBOARD_SIGNING_SECRET: "whsec_YmVuY2gtc2lnbmluZy1zZWNyZXQtZm9yLXN3aXRjaGJvYXJk",
};

/** @type {Array<{ stop(): Promise<void> }>} everything to stop at the end, newest first */
const running = [];
let stopping = false;
async function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const r of running.reverse()) await r.stop().catch((e) => console.error(`cleanup: ${e}`));
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping servers`);
    await stopAll();
    process.exit(130);
  });
}
const ceiling = setTimeout(async () => {
  console.error(`bench: over ${RUN_LIMIT_MS / 60_000} minutes, stopping`);
  await stopAll();
  process.exit(2);
}, RUN_LIMIT_MS);

/** @param {import("../test/support/wrangler-dev.ts").WranglerOptions} options */
async function start(options) {
  const dev = await startWrangler({ ...BENCH_WRANGLER, ...options });
  running.push(dev);
  return dev;
}

/** @param {string} label @param {Record<string, string>} vars */
const startSwitchboard = (label, vars) => start({ label, script: "bench/instrumented/index.ts", vars: { ...SWITCHBOARD_VARS, ...vars } });

/** @param {string} label @param {string} config */
const startWorker = (label, config) => start({ label, config });

const startedAt = new Date().toISOString();
const results = [];
try {
  const log = (/** @type {string} */ m) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${m}`);
  const t0 = performance.now();
  const collector = args.devCollector ? "wrangler's trace collector on" : "wrangler's trace collector off";
  log(`starting servers (${args.quick ? "quick" : "full"} mode, ${collector}; scenarios: ${selected.map((s) => s.id).join(", ")})`);
  const loopback = await startLoopback();
  running.push({ stop: () => loopback.close() });
  const [switchboard, baseline] = await Promise.all([startSwitchboard("switchboard", {}), startWorker("baseline", "bench/baseline/wrangler.toml")]);
  log(`switchboard ${switchboard.url}, baseline ${baseline.url}, loopback ${loopback.url}`);
  const ctx = {
    root,
    quick: args.quick,
    switchboard,
    sb: client(switchboard.url),
    baseline,
    loopback,
    // Many short alternating rounds rather than a few long ones: the machine is shared and its
    // speed drifts by tens of percent over a minute, and fine interleaving charges drift to both sides.
    load: args.quick
      ? { concurrency: 8, rounds: 4, warmup: { requests: 300, ms: 1500 }, measure: { requests: 500, ms: 1000 } }
      : { concurrency: 8, rounds: 8, warmup: { requests: 600, ms: 3000 }, measure: { requests: 1200, ms: 1500 } },
    startSwitchboard,
    startWorker,
  };
  for (const scenario of selected) {
    log(`${scenario.id}: ${scenario.title}`);
    const s0 = performance.now();
    let result;
    const profiler = args.profile ? await startProfiler(switchboard.inspectorPort) : null;
    try {
      result = await scenario.run(ctx);
    } catch (error) {
      result = { status: "error", checks: [], figures: {}, note: String(error instanceof Error ? error.message : error).split("\n")[0] };
      console.error(error);
    }
    if (profiler) {
      const path = join(root, "bench", "results", `${startedAt.replace(/[:.]/g, "-")}-${scenario.id}.cpuprofile`);
      const top = await profiler.stop(path);
      log(`${scenario.id}: CPU profile ${path}; most self time:\n${top.map((l) => `    ${l}`).join("\n")}`);
    }
    const seconds = Math.round((performance.now() - s0) / 100) / 10;
    results.push({ id: scenario.id, title: scenario.title, ...result, seconds });
    log(`${scenario.id}: ${result.status.toUpperCase()} in ${seconds} s${result.note ? ` (${result.note})` : ""}`);
  }
} finally {
  clearTimeout(ceiling);
  await stopAll();
}

console.log(`\n${table(results)}\n`);
const path = writeReport(root, {
  started_at: startedAt,
  finished_at: new Date().toISOString(),
  mode: args.quick ? "quick" : "full",
  only: args.only,
  dev_collector: args.devCollector,
  machine: machine(),
  results,
});
console.log(`report: ${path}`);
process.exit(results.some((r) => r.status === "fail" || r.status === "error") ? 1 : 0);

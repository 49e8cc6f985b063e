/**
 * Starts a `wrangler dev` for the benchmark, the way test/support/wrangler-dev.ts does for the e2e
 * tests (free loopback ports, local mode, its own --persist-to directory, a detached process group
 * so the whole tree dies with it), but with a choice of config, entry point and vars, because the
 * bench runs the Switchboard worker, a bare baseline worker and an observability-off twin side by side.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../test/support/wrangler-dev.ts";

export interface WranglerOptions {
  /** Label used in logs and errors. */
  label: string;
  /** wrangler.toml to use, relative to the repository root. */
  config: string;
  /** Entry point overriding the config's `main` (the instrumented Switchboard entry). */
  script?: string;
  vars?: Record<string, string>;
  /** Path polled until it answers 2xx. */
  readyPath: string;
}

export interface WranglerDev {
  url: string;
  /** The Chrome DevTools inspector port (bench/support/profile.ts). */
  inspectorPort: number;
  /** Everything wrangler and the worker printed so far. */
  output(): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;

export async function startWrangler(root: string, options: WranglerOptions): Promise<WranglerDev> {
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), `switchboard-bench-${options.label}-`));
  const args = ["dev", ...(options.script ? [options.script] : []), "--config", options.config];
  args.push("--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector));
  // --env-file /dev/null: a developer's .dev.vars must not change what is measured.
  args.push("--persist-to", state, "--show-interactive-dev-session=false", "--env-file", "/dev/null");
  // wrangler prints a line per request at "info"; in production nothing does, and that cost would
  // pad both sides of every ratio alike and flatten it. Warnings and errors still show.
  args.push("--log-level", "warn");
  for (const [k, v] of Object.entries(options.vars ?? {})) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  // Keep only the tail: a long run of request logs must not grow memory without bound.
  const keep = (d: Buffer) => {
    log += d;
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const dev: WranglerDev = {
    url: `http://127.0.0.1:${port}`,
    inspectorPort: inspector,
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        killGroup(child, "SIGTERM");
        await Promise.race([exited, sleep(5000)]);
        if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await dev.stop();
      throw new Error(`${options.label}: wrangler dev exited early:\n${log.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${dev.url}${options.readyPath}`);
      await res.body?.cancel();
      if (res.ok) return dev;
    } catch {}
    if (Date.now() > deadline) {
      await dev.stop();
      throw new Error(`${options.label}: wrangler dev did not become ready in ${READY_TIMEOUT_MS / 1000} s:\n${log.slice(-4000)}`);
    }
    await sleep(250);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

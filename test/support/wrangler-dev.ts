/**
 * Starts `wrangler dev` as a user would (local mode, no network) on a free loopback port with its
 * own state directory, in a detached process group so the whole tree (wrangler, workerd) dies with
 * it. The e2e tests start the Switchboard worker (`startWranglerDev`); the benchmark and the tests
 * of small fixture workers start other configs, entries and vars with `startWrangler`. `restart()`
 * stops it and starts it again on the same port and the same `--persist-to` state, as a developer
 * restarting `npm run dev` would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DevServer {
  url: string;
  /** The process group of wrangler and its workerd processes (bench/support/cpu.ts reads their CPU). */
  pid: number;
  /** The Chrome DevTools inspector port (bench/support/profile.ts). */
  inspectorPort: number;
  /** The tail of everything wrangler and the worker printed so far. */
  output(): string;
  /** Stops wrangler (SIGTERM, as Ctrl-C would) and starts it again on the same port and persisted state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface WranglerOptions {
  /** Label used in errors and in the state directory's name. @default "wrangler" */
  label?: string;
  /** wrangler.toml to use, relative to `root`. @default "wrangler.toml" */
  config?: string;
  /** Entry point overriding the config's `main`. */
  script?: string;
  vars?: Record<string, string>;
  /** More `wrangler dev` arguments, after the ones this module sets (test/e2e/dev-command.test.ts passes the `dev` script's). */
  args?: string[];
  /**
   * The env file wrangler reads secrets from, relative to `root`. @default "/dev/null": a
   * developer's .dev.vars must not change what is tested or measured.
   */
  envFile?: string;
  /** Path polled until it answers 2xx. @default "/health" */
  readyPath?: string;
  /**
   * wrangler's `--log-level`. The benchmark passes "warn": wrangler prints a line per request at
   * "info", which in production nothing does. @default "log"
   */
  logLevel?: string;
  /** Repository root (cwd of wrangler). @default process.cwd() */
  root?: string;
  /**
   * Whether wrangler's local trace collector (its local explorer's "observability" tab) receives
   * every span of the worker. wrangler turns it on for every `wrangler dev`; production has no such
   * collector. The benchmark turns it off on every side (bench/README.md, "What runs").
   * @default true, as wrangler does
   */
  devCollector?: boolean;
}

export const DEV_ADMIN_KEY = "sk_e2e_admin";

const READY_TIMEOUT_MS = 90_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The Switchboard worker from wrangler.toml, with the e2e keys and secrets (plus `vars`). */
export function startWranglerDev(vars: Record<string, string> = {}): Promise<DevServer> {
  return startWrangler({
    label: "e2e",
    vars: {
      SWITCHBOARD_DEV: "1",
      SWITCHBOARD_API_KEYS: `admin=${DEV_ADMIN_KEY},agent:planner=sk_e2e_planner`,
      SWITCHBOARD_SIGNING_SECRET: "whsec_ZTJlLXNpZ25pbmctc2VjcmV0LWZvci1zd2l0Y2hib2FyZA==",
      ...vars,
    },
  });
}

export async function startWrangler(options: WranglerOptions = {}): Promise<DevServer> {
  const root = options.root ?? process.cwd();
  const label = options.label ?? "wrangler";
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), `switchboard-${label}-`));
  const args = ["dev", ...(options.script ? [options.script] : []), "--config", options.config ?? "wrangler.toml"];
  args.push("--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector));
  args.push("--persist-to", state, "--show-interactive-dev-session=false", "--env-file", options.envFile ?? "/dev/null");
  if (options.logLevel) args.push("--log-level", options.logLevel);
  for (const [k, v] of Object.entries(options.vars ?? {})) args.push("--var", `${k}:${v}`);
  args.push(...(options.args ?? []));
  let log = "";
  // Keep only the tail: a long run of request logs must not grow memory without bound.
  const keep = (d: Buffer) => {
    log += d;
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  const launch = (): ChildProcess => {
    const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
      cwd: root,
      env: {
        ...withoutSwitchboardVars(process.env),
        WRANGLER_SEND_METRICS: "false",
        CI: "1",
        NO_COLOR: "1",
        ...(options.devCollector === false ? { X_LOCAL_OBSERVABILITY: "false" } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    return child;
  };
  let child = launch();
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      killGroup(child, "SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) killGroup(child, "SIGKILL");
    }
  };
  const server: DevServer = {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    inspectorPort: inspector,
    output: () => log,
    async restart() {
      await halt();
      child = launch();
      await ready();
    },
    async stop() {
      await halt();
      rmSync(state, { recursive: true, force: true });
    },
  };
  const ready = async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) {
        await server.stop();
        throw new Error(`${label}: wrangler dev exited early:\n${log.slice(-4000)}`);
      }
      try {
        const res = await fetch(`${server.url}${options.readyPath ?? "/health"}`);
        await res.body?.cancel();
        if (res.ok) return;
      } catch {}
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`${label}: wrangler dev did not become ready in ${READY_TIMEOUT_MS / 1000} s:\n${log.slice(-4000)}`);
      }
      await sleep(250);
    }
  };
  await ready();
  return server;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // Already gone.
  }
}

/**
 * The environment without Switchboard's own variables: wrangler binds a required secret it finds in
 * the environment over a `--var` of the same name, so a developer's shell (or the test runner's,
 * vitest.config.ts) would otherwise change what is tested or measured, as a .dev.vars would.
 */
function withoutSwitchboardVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // A cast: the worker's generated types (worker-configuration.d.ts) declare its required secrets on ProcessEnv.
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("SWITCHBOARD_"))) as NodeJS.ProcessEnv;
}

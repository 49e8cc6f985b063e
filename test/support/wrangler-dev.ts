/**
 * Starts `wrangler dev` as a user would (same wrangler.toml, local mode, no network) on a free
 * loopback port with its own state directory, and stops it afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DevServer {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

export const DEV_ADMIN_KEY = "sk_e2e_admin";

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

export async function startWranglerDev(vars: Record<string, string> = {}): Promise<DevServer> {
  const port = await freePort();
  const inspector = await freePort();
  const state = mkdtempSync(join(tmpdir(), "switchboard-e2e-"));
  const allVars = {
    SWITCHBOARD_DEV: "1",
    SWITCHBOARD_API_KEYS: `admin=${DEV_ADMIN_KEY},agent:planner=sk_e2e_planner`,
    SWITCHBOARD_SIGNING_SECRET: "whsec_ZTJlLXNpZ25pbmctc2VjcmV0LWZvci1zd2l0Y2hib2FyZA==",
    ...vars,
  };
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    state,
    "--show-interactive-dev-session=false",
    "--env-file",
    "/dev/null",
  ];
  for (const [k, v] of Object.entries(allVars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn(join(process.cwd(), "node_modules/.bin/wrangler"), args, {
    cwd: process.cwd(),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      process.kill(-(child.pid as number), "SIGKILL");
      throw new Error(`wrangler dev did not become ready in 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-(child.pid as number), "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-(child.pid as number), "SIGKILL");
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}

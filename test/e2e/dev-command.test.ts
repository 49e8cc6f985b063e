/**
 * `npm run dev` as a fresh clone has it: the `dev` script's own arguments (package.json) and the
 * secrets of `.dev.vars.example`, which `predev` copies to `.dev.vars`. wrangler loads from that
 * file only the names `[secrets] required` in wrangler.toml declares and drops the rest without a
 * word, so a setting the README's tour relies on must come from the script, not the file. The other
 * e2e tests pass their settings as `--var`s and would not notice. `predev` (scripts/dev-vars.mjs)
 * says so about any other name it finds there.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startWrangler } from "../support/wrangler-dev";

const WEB_ORIGIN = "http://localhost:5173";

/** `NAME=value` lines of .dev.vars.example. */
function exampleVars(): Record<string, string> {
  const lines = readFileSync(".dev.vars.example", "utf8").split("\n");
  const pairs = lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
  return Object.fromEntries(pairs);
}

/** The `dev` script's arguments after `wrangler dev`. */
function devScriptArgs(): string[] {
  const script: string = JSON.parse(readFileSync("package.json", "utf8")).scripts.dev;
  const [bin, command, ...args] = script.trim().split(/\s+/);
  expect([bin, command]).toEqual(["wrangler", "dev"]);
  return args;
}

let dev: DevServer;
let agent: Server;
let port: number;
const received: Array<{ headers: Record<string, string>; body: string }> = [];
const vars = exampleVars();
const admin = { authorization: `Bearer ${(/admin=([^,\s]+)/.exec(vars.SWITCHBOARD_API_KEYS ?? "") ?? [])[1]}`, "content-type": "application/json" };

beforeAll(async () => {
  agent = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers as Record<string, string>, body });
      res.setHeader("content-type", "application/json").end(JSON.stringify({ content: "pong" }));
    });
  });
  await new Promise<void>((resolve) => agent.listen(0, "127.0.0.1", resolve));
  port = (agent.address() as { port: number }).port;
  dev = await startWrangler({ label: "dev-command", envFile: ".dev.vars.example", args: devScriptArgs() });
});
afterAll(async () => {
  await dev?.stop();
  await new Promise((resolve) => agent?.close(resolve));
});

describe("npm run dev's own configuration", () => {
  it("loads the example's secrets: the dev admin key works and deliveries are signed with the example's signing secret", async () => {
    expect(vars.SWITCHBOARD_SIGNING_SECRET).toMatch(/^whsec_/);
    // A loopback http:// agent is refused unless SWITCHBOARD_DEV=1, which only the script can set.
    const put = await fetch(`${dev.url}/agents/dev-loopback`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/pong` }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const invoked = await fetch(`${dev.url}/agents/dev-loopback/invoke`, { method: "POST", headers: admin, body: JSON.stringify({ content: "ping" }) });
    expect(invoked.status).toBe(200);
    expect(((await invoked.json()) as { content: unknown }).content).toBe("pong");
    const [delivery] = received;
    expect(delivery).toBeDefined();
    const verified = new Webhook(vars.SWITCHBOARD_SIGNING_SECRET ?? "").verify(delivery?.body ?? "", delivery?.headers ?? {});
    expect(verified).toMatchObject({ content: "ping" });
  });

  it("serves the dev-only fixture agents", async () => {
    const res = await fetch(`${dev.url}/agents/tck`, { headers: admin });
    expect(res.status).toBe(200);
  });

  it("lets pages on the tour's origin call the API with the web key, and no other origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${dev.url}/agents/echo/invoke`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      });
    expect((await preflight(WEB_ORIGIN)).headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect((await preflight("http://localhost:5174")).headers.get("access-control-allow-origin")).toBeNull();
    const webKey = (/agent:web=(\S+)/.exec(vars.SWITCHBOARD_API_KEYS ?? "") ?? [])[1];
    const call = await fetch(`${dev.url}/agents/echo/invoke`, {
      method: "POST",
      headers: { origin: WEB_ORIGIN, authorization: `Bearer ${webKey}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "from the page" }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
  });
});

describe("predev: scripts/dev-vars.mjs", () => {
  /** Runs the script in a directory holding copies of the repository's wrangler.toml, package.json and .dev.vars.example. */
  function predev(devVars?: string): { dir: string; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), "switchboard-predev-"));
    for (const file of ["wrangler.toml", "package.json", ".dev.vars.example"]) copyFileSync(file, join(dir, file));
    if (devVars !== undefined) writeFileSync(join(dir, ".dev.vars"), devVars);
    const run = spawnSync(process.execPath, [resolve("scripts/dev-vars.mjs")], { cwd: dir, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    return { dir, stdout: run.stdout, stderr: run.stderr };
  }

  it("creates .dev.vars from the example on the first run, and every name in it is one wrangler loads", () => {
    const { dir, stdout, stderr } = predev();
    try {
      expect(stdout).toContain("Created .dev.vars");
      expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toBe(readFileSync(".dev.vars.example", "utf8"));
      expect(stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves an existing .dev.vars as it is and names each line wrangler would drop, with what to do instead", () => {
    const mine = "SWITCHBOARD_API_KEYS=admin=k\nSWITCHBOARD_DEV=1\n# OLD=1\nexport OPENAI_API_KEY=sk-local\n";
    const { dir, stdout, stderr } = predev(mine);
    try {
      expect(stdout).toBe("");
      expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toBe(mine);
      const warnings = stderr.trim().split("\n");
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/^\.dev\.vars sets SWITCHBOARD_DEV, which wrangler will not load .*already passes it/);
      expect(warnings[1]).toMatch(/^\.dev\.vars sets OPENAI_API_KEY, .*\[secrets\] required.*--var OPENAI_API_KEY:value/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

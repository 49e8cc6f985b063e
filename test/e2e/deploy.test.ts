/**
 * `wrangler deploy` of the very same code, short of the upload: the bundle builds, every binding
 * the worker needs is declared, the migrations cover every Durable Object class, the dev-only
 * switch is not in the deployed config, the bundle fits Workers' size limit, and the Agents SDK
 * (a devDependency for the benchmark's peer worker only) is not in it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      join(process.cwd(), "node_modules/.bin/wrangler"),
      args,
      { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" }, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(`${stdout}\n${stderr}`)),
    ),
  );
}

describe("deploy", () => {
  it("builds the deployable bundle with every binding and without dev settings", async () => {
    const out = mkdtempSync(join(tmpdir(), "switchboard-deploy-"));
    try {
      const log = await run(["deploy", "--dry-run", "--outdir", out]);
      for (const binding of [
        "env.AGENT (AgentDO)",
        "env.DIRECTORY (DirectoryDO)",
        "env.DEAD_LETTER_STORE (DeadLetterDO)",
        "env.TRACE (TraceDO)",
        "env.WEBHOOK_REPLAYS (WebhookReplayDO)",
        "switchboard-deliveries",
        "switchboard-fanout",
        "switchboard-dlq",
        "RATE_LIMITER",
      ]) {
        expect(log).toContain(binding);
      }
      expect(log).not.toContain("SWITCHBOARD_DEV");
      const bundle = join(out, "index.js");
      expect(statSync(bundle).size).toBeGreaterThan(10_000);
      // esbuild marks each bundled package's code with its path: hono is in, the SDK must not be.
      const code = readFileSync(bundle, "utf8");
      expect(code).toContain("// node_modules/hono/");
      expect(code).not.toContain("// node_modules/agents/");
      // Workers' compressed size limit is 3 MiB on the free plan.
      expect(gzipSync(code).byteLength).toBeLessThan(3 * 1024 * 1024);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("declares a migration for every Durable Object class the worker exports", () => {
    const config = readFileSync("wrangler.toml", "utf8");
    const classes = [...config.matchAll(/class_name\s*=\s*"(\w+)"/g)].map((m) => m[1]);
    const migrated = [...config.matchAll(/new_sqlite_classes\s*=\s*\[([^\]]*)\]/g)].flatMap((m) => [...(m[1] ?? "").matchAll(/"(\w+)"/g)].map((c) => c[1]));
    expect(classes.length).toBeGreaterThan(3);
    for (const name of classes) expect(migrated).toContain(name);
    expect(config).not.toMatch(/^\s*SWITCHBOARD_DEV\s*=/m);
  });

  it("retries a dead letter until it is stored: the two dead-letter queues hand it to each other after 100 retries", () => {
    const config = readFileSync("wrangler.toml", "utf8");
    const consumers = config.split("[[queues.consumers]]").slice(1);
    const consumer = (queue: string) => consumers.find((c) => new RegExp(`^queue = "${queue}"$`, "m").test(c)) ?? "";
    for (const [queue, next] of [
      ["switchboard-dlq", "switchboard-dlq-retry"],
      ["switchboard-dlq-retry", "switchboard-dlq"],
    ] as const) {
      expect(consumer(queue), queue).toMatch(/max_retries = 100\b/);
      expect(consumer(queue), queue).toContain(`dead_letter_queue = "${next}"`);
    }
  });
});

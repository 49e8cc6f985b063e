#!/usr/bin/env node
/**
 * `npm run tck`: runs the official A2A conformance kit (a2aproject/a2a-tck, branch 1.0-dev) against
 * this worker under `wrangler dev`, MUST level, JSON-RPC binding (docs/agents.md, "A2A conformance").
 *
 *   git clone -b 1.0-dev https://github.com/a2aproject/a2a-tck ../a2a-tck
 *   python3 -m venv ../a2a-tck/.venv && ../a2a-tck/.venv/bin/pip install "pytest>=8" pytest-asyncio "httpx>=0.27" \
 *     grpcio protobuf googleapis-common-protos jsonschema jinja2
 *   A2A_TCK_DIR=../a2a-tck npm run tck            # extra pytest arguments may follow `--`
 *
 * The worker serves the `tck` fixture agent (functions/agents/tck.ts, only with SWITCHBOARD_DEV=1)
 * as the host's default card. The kit sends no credentials, so a loopback proxy in front of
 * `wrangler dev` adds the dev admin key to every request: authentication stays on, as deployed.
 * The kit runs through pytest directly (its run_tck.py also asks for pytest-html reports); every
 * test and assertion of the kit runs unchanged.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { join, resolve } from "node:path";
import { startWranglerDev } from "../test/support/wrangler-dev.ts";

const kit = process.env.A2A_TCK_DIR ? resolve(process.env.A2A_TCK_DIR) : null;
if (!kit || !existsSync(join(kit, "tests/compatibility"))) {
  console.error("A2A_TCK_DIR must point at a checkout of a2aproject/a2a-tck (branch 1.0-dev); see scripts/tck.mjs");
  process.exit(2);
}
const python = process.env.A2A_TCK_PYTHON ?? (existsSync(join(kit, ".venv/bin/python")) ? join(kit, ".venv/bin/python") : "python3");
const level = process.env.A2A_TCK_LEVEL ?? "must";
const KEY = "sk_tck_admin";

const dev = await startWranglerDev({ SWITCHBOARD_API_KEYS: `admin=${KEY}`, SWITCHBOARD_A2A_AGENT: "tck" });

const target = new URL(dev.url);
const proxy = http.createServer((req, res) => {
  // Host is kept, so the card's interface URL points back at this proxy.
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${KEY}` } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    res.writeHead(502).end(String(error));
  });
  req.pipe(upstream);
});
await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
const sut = `http://127.0.0.1:${proxy.address().port}`;

const args = [
  "-m",
  "pytest",
  "tests/compatibility/",
  `--sut-host=${sut}`,
  "--transport=jsonrpc",
  "-m",
  level,
  "-p",
  "no:cacheprovider",
  "-q",
  "-rfEs",
  ...process.argv.slice(2),
];
console.log(`a2a-tck: ${python} ${args.join(" ")} (in ${kit})`);
const code = await new Promise((r) => spawn(python, args, { cwd: kit, stdio: "inherit" }).on("exit", (c) => r(c ?? 1)));
proxy.close();
await dev.stop();
process.exit(code);

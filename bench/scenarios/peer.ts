/**
 * Scenario 10 (issue 25): Switchboard against the peer a user would pick instead, the Cloudflare
 * Agents SDK, on the same machine in the same run. The peer worker (bench/peer) does the example
 * agents' work: planner → summarizer (one agent → agent hop) and echo, once as the SDK documents
 * (`getAgentByName` + an RPC method), once as the same Agent classes reached with raw stubs, and
 * once as plain Durable Objects with raw stubs (the platform's floor). Switchboard's side is
 * `POST /agents/planner/invoke` (planner calls summarizer with ctx.invoke) and
 * `POST /agents/echo/invoke`. Every side gets the same body from the same load generator in
 * interleaved rounds, and each side's workerd CPU per request is read from /proc.
 *
 * Targets (issue 25): the hop at ≥ 1.0× the SDK as documented and ≥ 0.9× raw stubs, while
 * Switchboard also authenticates, checks the ACL, runs the breaker and cap, logs, counts and
 * traces (bench/README.md, "Peer: the Agents SDK"). Echo against the same targets is for reading.
 */
import { isDeepStrictEqual } from "node:util";
import { type Client, client } from "../support/client.ts";
import { cpuMeter } from "../support/cpu.ts";
import { alternate } from "../support/load.ts";
import { ms, rps, us } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { type LoadStats, ratio } from "../support/stats.ts";

const BODY = { content: "Ship it. Tell the team." };

/** The peer's sides of the comparison: where each is served and what the table calls it. */
const PEERS = {
  sdk: { prefix: "/sdk", label: "SDK as documented" },
  sdkStub: { prefix: "/sdk-stub", label: "SDK agents, raw stubs" },
  raw: { prefix: "/raw", label: "raw DO stubs" },
} as const;
type Peer = keyof typeof PEERS;

/** Rows comparing Switchboard with one peer side; `target` makes the throughput row count. */
function compare(what: string, sb: LoadStats, peer: LoadStats, side: Peer, target?: { min: number; info?: boolean }): Check[] {
  const vs = `${what} vs ${PEERS[side].label}`;
  const rows: Check[] = [
    {
      measure: `${vs}: throughput`,
      subject: rps(sb.rps),
      baseline: rps(peer.rps),
      ratio: ratio(sb.rps, peer.rps),
      target: target ? `≥ ${target.min.toFixed(1)}×` : "report",
      pass: target ? sb.rps >= target.min * peer.rps : true,
      ...(target?.info ? { info: true } : {}),
    },
  ];
  if (side !== "sdkStub") {
    rows.push(
      { measure: `${vs}: p50`, subject: ms(sb.p50_ms), baseline: ms(peer.p50_ms), ratio: ratio(sb.p50_ms, peer.p50_ms), target: "report", pass: true },
      { measure: `${vs}: p99`, subject: ms(sb.p99_ms), baseline: ms(peer.p99_ms), ratio: ratio(sb.p99_ms, peer.p99_ms), target: "report", pass: true },
    );
  }
  if (sb.cpu_us_per_request !== undefined && peer.cpu_us_per_request !== undefined) {
    rows.push({
      measure: `${vs}: worker CPU / request`,
      subject: us(sb.cpu_us_per_request),
      baseline: us(peer.cpu_us_per_request),
      ratio: ratio(sb.cpu_us_per_request, peer.cpu_us_per_request),
      target: "report",
      pass: true,
    });
  }
  return rows;
}

/** The peer sides whose answer's content differs from Switchboard's for the same body. */
async function mismatches(sb: Client, peer: Client, agent: string, sides: Peer[]): Promise<string[]> {
  const ours = await sb.request("POST", `/agents/${agent}/invoke`, BODY);
  if (ours.status !== 200) throw new Error(`Switchboard ${agent}: ${ours.status} ${JSON.stringify(ours.body).slice(0, 200)}`);
  const wrong: string[] = [];
  for (const side of sides) {
    const theirs = await peer.request("POST", `${PEERS[side].prefix}/${agent}/invoke`, BODY);
    if (theirs.status !== 200 || !isDeepStrictEqual(theirs.body?.content, ours.body.content)) wrong.push(`${side}/${agent}`);
  }
  return wrong;
}

export const peer: Scenario = {
  id: "peer",
  title: "planner → summarizer hop and echo vs the same agents on the Cloudflare Agents SDK and on raw DO stubs",
  async run(ctx) {
    const peerDev = await ctx.startWorker("peer", "bench/peer/wrangler.toml");
    const other = client(peerDev.url);
    const wrong = [...(await mismatches(ctx.sb, other, "planner", ["sdk", "sdkStub", "raw"])), ...(await mismatches(ctx.sb, other, "echo", ["sdk", "raw"]))];

    const sbCpu = cpuMeter(ctx.switchboard);
    const peerCpu = cpuMeter(peerDev);
    const on = (side: Peer, agent: string) => () => other.expect("POST", `${PEERS[side].prefix}/${agent}/invoke`, BODY, 200);
    const hop = await alternate(
      {
        switchboard: () => ctx.sb.expect("POST", "/agents/planner/invoke", BODY, 200),
        sdk: on("sdk", "planner"),
        sdkStub: on("sdkStub", "planner"),
        raw: on("raw", "planner"),
      },
      { ...ctx.load, cpu: { switchboard: sbCpu, sdk: peerCpu, sdkStub: peerCpu, raw: peerCpu } },
    );
    const echo = await alternate(
      { switchboard: () => ctx.sb.expect("POST", "/agents/echo/invoke", BODY, 200), sdk: on("sdk", "echo"), raw: on("raw", "echo") },
      { ...ctx.load, cpu: { switchboard: sbCpu, sdk: peerCpu, raw: peerCpu } },
    );

    const checks: Check[] = [
      ...compare("hop", hop.switchboard, hop.sdk, "sdk", { min: 1.0 }),
      ...compare("hop", hop.switchboard, hop.raw, "raw", { min: 0.9 }),
      ...compare("hop", hop.switchboard, hop.sdkStub, "sdkStub"),
      ...compare("echo", echo.switchboard, echo.sdk, "sdk", { min: 1.0, info: true }),
      ...compare("echo", echo.switchboard, echo.raw, "raw", { min: 0.9, info: true }),
      {
        measure: "peer answers unlike Switchboard's",
        subject: wrong.join(", ") || "none",
        baseline: "",
        ratio: null,
        target: "none",
        pass: wrong.length === 0,
      },
    ];
    const errors = [...Object.values(hop), ...Object.values(echo)].reduce((n, s) => n + s.errors, 0);
    const notes = [
      ...(errors > 0 ? [`${errors} requests did not answer 200`] : []),
      ...(sbCpu && peerCpu ? [] : ["no CPU figures: /proc has no workerd processes for a server (Linux only)"]),
    ];
    return {
      status: errors > 0 ? "fail" : statusOf(checks),
      checks,
      figures: { hop, echo, concurrency: ctx.load.concurrency, body: BODY },
      ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
    };
  },
};

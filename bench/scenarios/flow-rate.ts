/**
 * Flow control: three keys of one agent offered at three different rates, all above the agent's
 * per-key `rate` (4 a second; low enough that the offered load, 26 messages a second in all, does
 * not saturate a shared machine's worker and measure the machine instead). Each key's throughput
 * at the handler — starts counted on the loopback, per key — must come within 10% of the
 * configured rate: held deliveries are released as the window makes room, no key is starved by
 * the others, none gets more than its rate.
 */
import { type Client, must } from "../support/client.ts";
import type { Loopback } from "../support/loopback.ts";
import { msgs } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio, round } from "../support/stats.ts";

const LIMIT = 4;
const PERIOD_MS = 1000;
/** Messages each key is offered per second; every one above LIMIT, so every key is held. */
const OFFERED = { a: 6, b: 8, c: 12 } as const;
const AGENT = "bench-flow";

/** Offers `perSecond` messages a second of `tenant` for `seconds`, evenly spaced. */
async function offer(sb: Client, tenant: string, perSecond: number, seconds: number): Promise<number> {
  const total = perSecond * seconds;
  const t0 = performance.now();
  let refused = 0;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!(await sb.expect("POST", `/agents/${AGENT}/messages`, { content: i, metadata: { tenant } }, 202))) refused++;
  }
  if (refused > 0) throw new Error(`${refused} of ${total} messages of ${tenant} were refused`);
  return total;
}

/**
 * Starts per second over whole windows from the first start: a key starts a burst of up to LIMIT
 * each time its window makes room, so counting the starts in the first k whole periods (k as many
 * as the run spans) measures the rate without crediting or charging a partial last window.
 */
function throughput(arrivals: number[]): number {
  const sorted = [...arrivals].sort((x, y) => x - y);
  const first = sorted[0] as number;
  const windows = Math.max(1, Math.floor(((sorted[sorted.length - 1] as number) - first) / PERIOD_MS));
  return sorted.filter((t) => t < first + windows * PERIOD_MS).length / ((windows * PERIOD_MS) / 1000);
}

/** How many starts fell in each period from the first: the shape behind the figure. */
function perWindow(arrivals: number[]): number[] {
  const first = Math.min(...arrivals);
  const counts: number[] = [];
  for (const t of arrivals) {
    const k = Math.floor((t - first) / PERIOD_MS);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return Array.from(counts, (c) => c ?? 0);
}

async function waitForAll(loopback: Loopback, counts: Record<string, number>): Promise<void> {
  await Promise.all(Object.entries(counts).map(([tenant, n]) => loopback.waitFor(`${AGENT}.${tenant}`, n, 120_000)));
}

export const flowRate: Scenario = {
  id: "flow-rate",
  title: "per-key rate of a flow-controlled agent: three keys offered 1.5×, 2× and 3× the rate",
  async run(ctx) {
    const { sb, loopback } = ctx;
    must(
      await sb.request("PUT", `/agents/${AGENT}`, {
        kind: "http",
        url: `${loopback.url}/keyed/${AGENT}`,
        limits: { max_concurrency: 100 },
        flow: { key: "metadata.tenant", rate: { limit: LIMIT, period_ms: PERIOD_MS } },
      }),
      200,
      `register ${AGENT}`,
    );
    const seconds = ctx.quick ? 5 : 12;
    const tenants = Object.keys(OFFERED) as Array<keyof typeof OFFERED>;
    const sent = await Promise.all(tenants.map((t) => offer(sb, t, OFFERED[t], seconds)));
    const counts = Object.fromEntries(tenants.map((t, i) => [t, sent[i] as number]));
    await waitForAll(loopback, counts);
    const rate = (LIMIT * 1000) / PERIOD_MS;
    const measured = Object.fromEntries(tenants.map((t) => [t, throughput(loopback.arrivals(`${AGENT}.${t}`))]));
    const checks: Check[] = tenants.map((t) => ({
      measure: `key ${t} (offered ${OFFERED[t]}/s)`,
      subject: msgs(measured[t] as number),
      baseline: msgs(rate),
      ratio: ratio(measured[t] as number, rate),
      target: "0.9× – 1.1× (the rate)",
      pass: Math.abs((measured[t] as number) / rate - 1) <= 0.1,
    }));
    return {
      status: statusOf(checks),
      checks,
      figures: {
        rate_per_s: rate,
        offered_per_s: OFFERED,
        offered_seconds: seconds,
        messages: counts,
        measured_per_s: Object.fromEntries(Object.entries(measured).map(([t, v]) => [t, round(v, 2)])),
        starts_per_window: Object.fromEntries(tenants.map((t) => [t, perWindow(loopback.arrivals(`${AGENT}.${t}`))])),
      },
      note: "each key's messages all arrive; throughput counts starts at the remote agent over whole rate windows",
    };
  },
};

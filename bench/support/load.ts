/**
 * The load generator: in-process fetch (undici keeps connections alive) at a fixed concurrency,
 * a warm-up phase that is thrown away (JIT, isolate start, SQLite pages, connection setup), then
 * a measured phase. Every phase is bounded both in requests and in time, so a slow or stuck
 * server makes a short, honest measurement rather than a hang.
 */
import type { CpuMeter, CpuReading } from "./cpu.ts";
import { type LoadStats, round, summarise } from "./stats.ts";

/** One request; resolves true when the answer was the expected one. */
export type Shot = (i: number) => Promise<boolean>;

export interface Phase {
  requests: number;
  ms: number;
}

export interface LoadOptions {
  concurrency: number;
  warmup: Phase;
  measure: Phase;
}

interface Sample {
  latencies: number[];
  errors: number;
  seconds: number;
  /** CPU its server used from this round's start until the server's next round (AlternateOptions.cpu). */
  cpu?: CpuReading;
}

async function phase(shot: Shot, concurrency: number, bound: Phase, record: boolean): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const stopAt = start + bound.ms;
  const worker = async () => {
    while (next < bound.requests && performance.now() < stopAt) {
      const i = next++;
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await shot(i);
      } catch {
        ok = false;
      }
      if (!record) continue;
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors, seconds: (performance.now() - start) / 1000 };
}

/** Warms up, then measures `shot` under the given load. */
export async function runLoad(shot: Shot, options: LoadOptions): Promise<LoadStats> {
  await phase(shot, options.concurrency, options.warmup, false);
  return merge([await phase(shot, options.concurrency, options.measure, true)]);
}

export interface AlternateOptions<K extends string> extends LoadOptions {
  rounds: number;
  /**
   * The CPU meter of the server behind each target (bench/support/cpu.ts). A target with one gets
   * `cpu_us_per_request` in its stats: the server's CPU from the start of each of the target's
   * rounds until that server next starts a round (or the last round ends), so work a round left
   * behind (a write-behind log flush, a batched trace note) is charged to the target that caused
   * it. Rounds run one at a time, so targets served by the same server share its meter.
   */
  cpu?: Partial<Record<K, CpuMeter | null>>;
}

/**
 * Measures several targets in alternating rounds (A, B, A, B…) after warming each, and pools each
 * target's rounds. Alternating spreads slow drift (other tenants of the machine, a compaction in
 * one server) over every target instead of charging it to whichever ran last.
 */
export async function alternate<K extends string>(shots: Record<K, Shot>, options: AlternateOptions<K>): Promise<Record<K, LoadStats>> {
  const keys = Object.keys(shots) as K[];
  const samples = new Map<K, Sample[]>(keys.map((k) => [k, []]));
  for (const k of keys) await phase(shots[k], options.concurrency, options.warmup, false);
  // The round each meter is charging, and the reading it started from.
  const open = new Map<CpuMeter, { sample: Sample; from: CpuReading }>();
  const settle = (meter: CpuMeter): CpuReading => {
    const now = meter.read();
    const round = open.get(meter);
    if (round) round.sample.cpu = { worker: now.worker - round.from.worker, proxy: now.proxy - round.from.proxy };
    open.delete(meter);
    return now;
  };
  for (let r = 0; r < options.rounds; r++) {
    for (const k of keys) {
      const meter = options.cpu?.[k];
      const from = meter ? settle(meter) : null;
      const sample = await phase(shots[k], options.concurrency, options.measure, true);
      if (meter && from) open.set(meter, { sample, from });
      samples.get(k)?.push(sample);
    }
  }
  for (const meter of [...open.keys()]) settle(meter);
  return Object.fromEntries(keys.map((k) => [k, merge(samples.get(k) ?? [])])) as Record<K, LoadStats>;
}

/**
 * Pools the rounds' samples: throughput over their summed time, percentiles over every latency,
 * CPU over every request sent (a failed one cost CPU too).
 */
function merge(runs: Sample[]): LoadStats {
  const stats = summarise(
    runs.flatMap((r) => r.latencies),
    runs.reduce((s, r) => s + r.errors, 0),
    runs.reduce((s, r) => s + r.seconds, 0),
  );
  if (runs.length === 0 || runs.some((r) => r.cpu === undefined)) return stats;
  const sent = stats.requests + stats.errors;
  const perRequest = (part: keyof CpuReading) => (sent > 0 ? round((runs.reduce((s, r) => s + (r.cpu?.[part] ?? 0), 0) * 1000) / sent, 0) : Number.NaN);
  return { ...stats, cpu_us_per_request: perRequest("worker"), dev_proxy_cpu_us_per_request: perRequest("proxy") };
}

/**
 * The load generator: in-process fetch (undici keeps connections alive) at a fixed concurrency,
 * a warm-up phase that is thrown away (JIT, isolate start, SQLite pages, connection setup), then
 * a measured phase. Every phase is bounded both in requests and in time, so a slow or stuck
 * server makes a short, honest measurement rather than a hang.
 */
import { type LoadStats, summarise } from "./stats.ts";

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

/**
 * Measures several targets in alternating rounds (A, B, A, B…) after warming each, and pools each
 * target's rounds. Alternating spreads slow drift (other tenants of the machine, a compaction in
 * one server) over every target instead of charging it to whichever ran last.
 */
export async function alternate<K extends string>(shots: Record<K, Shot>, options: LoadOptions & { rounds: number }): Promise<Record<K, LoadStats>> {
  const keys = Object.keys(shots) as K[];
  const samples = new Map<K, Sample[]>(keys.map((k) => [k, []]));
  for (const k of keys) await phase(shots[k], options.concurrency, options.warmup, false);
  for (let r = 0; r < options.rounds; r++) {
    for (const k of keys) samples.get(k)?.push(await phase(shots[k], options.concurrency, options.measure, true));
  }
  return Object.fromEntries(keys.map((k) => [k, merge(samples.get(k) ?? [])])) as Record<K, LoadStats>;
}

/** Pools the rounds' samples: throughput over their summed time, percentiles over every latency. */
function merge(runs: Sample[]): LoadStats {
  return summarise(
    runs.flatMap((r) => r.latencies),
    runs.reduce((s, r) => s + r.errors, 0),
    runs.reduce((s, r) => s + r.seconds, 0),
  );
}

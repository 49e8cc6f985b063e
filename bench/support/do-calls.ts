/**
 * Counts Durable Object round trips through the instrumented entry (bench/instrumented/index.ts):
 * calls the Worker made while serving each request (`x-bench-do-calls`), and calls agent objects
 * made to other objects meanwhile (`GET /__bench/do-calls`). Requests go one at a time so the
 * object-side counter is attributable to them.
 */
import { BENCH_ADMIN_KEY } from "./client.ts";

export interface RoundTrips {
  requests: number;
  /** Distinct per-request Worker → object call counts seen, e.g. [1]. */
  from_worker: number[];
  /** Object → object calls per request, averaged (not counting the batched ones). */
  from_objects_per_request: number;
  /** Timed batches to the trace index and metrics aggregates meanwhile, per request (bench/instrumented). */
  batched_per_request: number;
  /** Requests that did not answer 200. */
  failed: number;
}

async function objectCalls(url: string): Promise<{ from_objects: number; batched: number }> {
  const res = await fetch(`${url}/__bench/do-calls`);
  return (await res.json()) as { from_objects: number; batched: number };
}

export async function countRoundTrips(url: string, path: string, body: unknown, requests: number, headers: Record<string, string> = {}): Promise<RoundTrips> {
  const seen = new Set<number>();
  let failed = 0;
  const before = await objectCalls(url);
  for (let i = 0; i < requests; i++) {
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, "content-type": "application/json", "x-bench-count-do": "1", ...headers },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 200) failed++;
    seen.add(Number(res.headers.get("x-bench-do-calls") ?? Number.NaN));
  }
  const after = await objectCalls(url);
  return {
    requests,
    from_worker: [...seen].sort(),
    from_objects_per_request: (after.from_objects - before.from_objects) / requests,
    batched_per_request: (after.batched - before.batched) / requests,
    failed,
  };
}

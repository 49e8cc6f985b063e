/**
 * A sharded agent's metrics are the sum of its shards': counters and histogram buckets add up;
 * breaker state, limits, the pause and schedules come from the home object, which owns them; held
 * and scheduled requests add up, since each shard keeps its own. Latency percentiles cannot
 * be added, so p50 is averaged by sample count and p95 is the worst shard's — documented as an
 * approximation for sharded agents.
 */
import type { DeliveryStatus } from "../flow/delivery-status";
import type { MessageSeries } from "./metrics";
import type { AgentMetricsReport } from "./prometheus";

function addArrays(a: number[], b: number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

function mergeSeries(all: MessageSeries[]): MessageSeries[] {
  const byKey = new Map<string, MessageSeries>();
  for (const s of all) {
    const key = `${s.direction}\u0000${s.outcome}`;
    const seen = byKey.get(key);
    byKey.set(
      key,
      seen ? { ...seen, count: seen.count + s.count, sum_seconds: seen.sum_seconds + s.sum_seconds, buckets: addArrays(seen.buckets, s.buckets) } : { ...s },
    );
  }
  return [...byKey.values()];
}

/** Merges the reports of one agent's shards; `reports[0]` is the home object's. */
export function mergeShardReports(reports: AgentMetricsReport[]): AgentMetricsReport | null {
  const [home, ...rest] = reports;
  if (!home) return null;
  if (rest.length === 0) return home;
  const samples = reports.reduce((n, r) => n + r.latency_ms.samples, 0);
  const weighted = reports.reduce((n, r) => n + (r.latency_ms.p50 ?? 0) * r.latency_ms.samples, 0);
  const p95s = reports.map((r) => r.latency_ms.p95).filter((v): v is number => v !== null);
  const gauges: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.gauges)) gauges[k] = (gauges[k] ?? 0) + v;
  return {
    ...home,
    in_flight: reports.reduce((n, r) => n + r.in_flight, 0),
    latency_ms: { p50: samples > 0 ? weighted / samples : null, p95: p95s.length ? Math.max(...p95s) : null, samples },
    messages: mergeSeries(reports.flatMap((r) => r.messages)),
    retries: reports.reduce((n, r) => n + r.retries, 0),
    tool_rejections: reports.reduce((n, r) => n + r.tool_rejections, 0),
    batches: reports.reduce(
      (acc, r) => ({ count: acc.count + r.batches.count, sum: acc.sum + r.batches.sum, buckets: addArrays(acc.buckets, r.batches.buckets) }),
      { count: 0, sum: 0, buckets: [] as number[] },
    ),
    gauges,
    ...(home.deliveries ? { deliveries: mergeDeliveries(home.deliveries, rest) } : {}),
  };
}

/** The pause and schedules are the home object's; every shard holds and schedules its own requests. */
function mergeDeliveries(home: DeliveryStatus, rest: AgentMetricsReport[]): DeliveryStatus {
  const sum = (field: "held" | "scheduled") => rest.reduce((n, r) => n + (r.deliveries?.[field] ?? 0), home[field]);
  return { ...home, held: sum("held"), scheduled: sum("scheduled") };
}

/**
 * Per-agent metrics, kept in the agent's own Durable Object SQLite next to its message log, so the
 * hot path never touches a shared object: message counts are added up in memory and written with
 * the log rows they count (count, sum and histogram buckets in one row per series). Every write
 * bumps a durable sequence number, so a snapshot says how new it is: the object pushes its
 * snapshots to a metrics aggregate (./metrics-aggregate.ts), which keeps the newest of each.
 *
 * Hooks for other features, called inside the AgentDO: `retry()` when a delivery is retried,
 * `batch(size)` when a batch is flushed, `toolRejected()` when a model's tool call was refused, `gauge("dlq_size", n)` for a per-agent gauge.
 */

/** Upper bounds (seconds) of the latency histogram; +Inf is the count. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** Upper bounds of the batch size histogram. */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100] as const;

export type Direction = "in" | "out";

export interface MessageSeries {
  direction: Direction;
  outcome: string;
  count: number;
  sum_seconds: number;
  /** Cumulative counts per `DURATION_BUCKETS` bound (Prometheus `le` semantics). */
  buckets: number[];
}

export interface AgentMetricsSnapshot {
  /** Grows with every write of these counters: a newer snapshot of the same object has a larger one. */
  seq: number;
  messages: MessageSeries[];
  retries: number;
  /** Tool calls this agent's model asked for that were refused before any call (unknown tool, bad arguments). */
  tool_rejections: number;
  batches: { count: number; sum: number; buckets: number[] };
  gauges: Record<string, number>;
}

const bucketColumns = DURATION_BUCKETS.map((_, i) => `b${i}`);

/** Index of the first bucket whose bound holds `seconds`, or -1 for +Inf only. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  for (let i = 0; i < bounds.length; i++) if (value <= (bounds[i] as number)) return i;
  return -1;
}

/** Non-cumulative counts → cumulative, as Prometheus wants them. */
export function cumulative(counts: number[]): number[] {
  let total = 0;
  return counts.map((n) => (total += n));
}

/** The q-quantile (0..1) of `values` by nearest rank; null when empty. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Latency over the newest logged durations (ms): exact percentiles of what the log holds. */
export function logLatency(durations: readonly number[]): { p50: number | null; p95: number | null; samples: number } {
  return { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), samples: durations.length };
}

/**
 * Latency from the inbound duration histogram (ms), for agents whose log is sampled, where the
 * logged durations would over-represent failures: each percentile is the upper bound of the
 * bucket it falls in, over every message ever counted.
 */
export function histogramLatency(series: readonly MessageSeries[]): { p50: number | null; p95: number | null; samples: number } {
  const inbound = series.filter((s) => s.direction === "in");
  const count = inbound.reduce((n, s) => n + s.count, 0);
  const buckets = DURATION_BUCKETS.map((_, i) => inbound.reduce((n, s) => n + (s.buckets[i] ?? 0), 0));
  const at = (q: number): number | null => {
    if (count === 0) return null;
    const rank = Math.ceil(q * count);
    const index = buckets.findIndex((n) => n >= rank);
    // Past the last bound: the last bound, a floor.
    return (DURATION_BUCKETS[index < 0 ? DURATION_BUCKETS.length - 1 : index] as number) * 1000;
  };
  return { p50: at(0.5), p95: at(0.95), samples: count };
}

interface PendingSeries {
  direction: Direction;
  outcome: string;
  count: number;
  sum: number;
  buckets: number[];
}

/**
 * Message counters are added up in memory and written in one statement per series when flushed —
 * by the message log, in the same synchronous turn (so the same commit) as the rows they count,
 * and before any read — not one SQLite write per message: the hot path pays a map update. So a
 * count is exactly as durable as its log row; an eviction loses neither. `changed` hears of
 * every write (the push to the aggregate is scheduled from it).
 */
export class AgentMetrics {
  private readonly upsert: string;
  private pending = new Map<string, PendingSeries>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly changed: () => void = () => {},
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS metrics_messages (direction TEXT NOT NULL, outcome TEXT NOT NULL,
      count INTEGER NOT NULL, sum_s REAL NOT NULL, ${bucketColumns.map((c) => `${c} INTEGER NOT NULL`).join(", ")},
      PRIMARY KEY (direction, outcome))`);
    sql.exec("CREATE TABLE IF NOT EXISTS metrics_values (name TEXT PRIMARY KEY, value REAL NOT NULL)");
    this.upsert = `INSERT INTO metrics_messages (direction, outcome, count, sum_s, ${bucketColumns.join(", ")})
      VALUES (?, ?, ?, ?, ${bucketColumns.map(() => "?").join(", ")})
      ON CONFLICT(direction, outcome) DO UPDATE SET count = count + excluded.count, sum_s = sum_s + excluded.sum_s,
      ${bucketColumns.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
  }

  /** One message handled (`in`) or sent (`out`), with its outcome and duration. */
  message(direction: Direction, outcome: string, durationMs: number | null): void {
    const seconds = Math.max(0, (durationMs ?? 0) / 1000);
    const index = bucketIndex(DURATION_BUCKETS, seconds);
    const key = `${direction}\u0000${outcome}`;
    let series = this.pending.get(key);
    if (!series) {
      series = { direction, outcome, count: 0, sum: 0, buckets: bucketColumns.map(() => 0) };
      this.pending.set(key, series);
    }
    series.count += 1;
    series.sum += seconds;
    if (index >= 0) series.buckets[index] = (series.buckets[index] ?? 0) + 1;
  }

  /** Writes the counts added up since the last flush (the message log calls it with its own write). */
  flush(): void {
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    for (const s of pending.values()) this.sql.exec(this.upsert, s.direction, s.outcome, s.count, s.sum, ...s.buckets);
    this.bump();
  }

  /** A delivery to this agent is being retried. */
  retry(count = 1): void {
    this.add("retries", count);
  }

  /** This agent's model asked for a tool call that was refused before it was made. */
  toolRejected(): void {
    this.add("tool_rejections", 1);
  }

  /** A batch of `size` messages was handed to this agent at once. */
  batch(size: number): void {
    this.add("batch_count", 1);
    this.add("batch_sum", size);
    const index = bucketIndex(BATCH_BUCKETS, size);
    if (index >= 0) this.add(`batch_b${index}`, 1);
  }

  /** Sets a gauge, e.g. `gauge("dlq_size", 3)`. */
  gauge(name: string, value: number): void {
    this.sql.exec("INSERT INTO metrics_values (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", `gauge:${name}`, value);
    this.bump();
  }

  private add(name: string, by: number): void {
    this.sql.exec("INSERT INTO metrics_values (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", name, by);
    this.bump();
  }

  /** Every write moves the sequence on, in the same turn, so the two commit together. */
  private bump(): void {
    this.sql.exec("INSERT INTO metrics_values (name, value) VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1");
    this.changed();
  }

  snapshot(): AgentMetricsSnapshot {
    this.flush();
    const messages = this.sql
      .exec("SELECT * FROM metrics_messages ORDER BY direction, outcome")
      .toArray()
      .map((row) => ({
        direction: row.direction as Direction,
        outcome: String(row.outcome),
        count: Number(row.count),
        sum_seconds: Number(row.sum_s),
        buckets: cumulative(bucketColumns.map((c) => Number(row[c]))),
      }));
    const values = new Map(
      this.sql
        .exec("SELECT name, value FROM metrics_values")
        .toArray()
        .map((row) => [String(row.name), Number(row.value)] as const),
    );
    const gauges: Record<string, number> = {};
    for (const [name, value] of values) if (name.startsWith("gauge:")) gauges[name.slice("gauge:".length)] = value;
    return {
      seq: values.get("seq") ?? 0,
      messages,
      retries: values.get("retries") ?? 0,
      tool_rejections: values.get("tool_rejections") ?? 0,
      batches: {
        count: values.get("batch_count") ?? 0,
        sum: values.get("batch_sum") ?? 0,
        buckets: cumulative(BATCH_BUCKETS.map((_, i) => values.get(`batch_b${i}`) ?? 0)),
      },
      gauges,
    };
  }
}

/**
 * Metrics aggregates: `METRICS_SHARDS` objects (MetricsDO) that hold the newest metrics report of
 * every agent object that pushed one, sharded by agent name (all shards of a sharded agent push to
 * the same aggregate). `GET /metrics` reads only these, so a scrape costs `METRICS_SHARDS` round
 * trips whatever the number of agents; idle agents cost nothing, they have nothing to push.
 *
 * Counters stay exact because a push carries the whole cumulative snapshot with its sequence
 * number (lib/observability/metrics.ts), and an aggregate keeps, per object, only the report with
 * the highest sequence it has seen: a push repeated, retried or overtaken by a newer one changes
 * nothing, so nothing is counted twice; a push lost is made good by the next, which holds
 * everything the lost one did.
 */
import { objectStub, type Remote } from "../registry/object-ids";
import { keyShard, METRICS_SHARDS, parseObjectName, shardObjectName } from "../registry/shards";
import { mergeShardReports } from "./merge-reports";
import type { AgentMetricsReport, ExtraSample } from "./prometheus";

/** How long an agent object waits after its counters change before it pushes them. @default 10000 */
export const DEFAULT_METRICS_FLUSH_MS = 10_000;

/** `SWITCHBOARD_METRICS_FLUSH_MS`: ms from a change to its push, 0 … 1 h; the default otherwise. */
export function metricsFlushMs(vars: { SWITCHBOARD_METRICS_FLUSH_MS?: string }): number {
  const value = Number(vars.SWITCHBOARD_METRICS_FLUSH_MS);
  return vars.SWITCHBOARD_METRICS_FLUSH_MS !== undefined && Number.isInteger(value) && value >= 0 && value <= 3_600_000 ? value : DEFAULT_METRICS_FLUSH_MS;
}

export interface PushedReport {
  /** The agent object that pushed it (`name`, or `name#k` for shard k). */
  object: string;
  report: AgentMetricsReport;
  /** Epoch ms the aggregate received it. */
  pushed_at: number;
}

/**
 * Deployment-wide sums over the reports an aggregate holds, kept up to date as reports arrive
 * (each push adds its difference from the report it replaces), so reading them costs the same
 * whatever the number of agents. Keys: `objects`, `in_flight`, `retries`, `breaker_open`,
 * `breaker_half_open`, and `in:<outcome>` / `out:<outcome>` message counts.
 */
export type MetricsTotals = Record<string, number>;

/** One aggregate, as agent objects and `GET /metrics` see it; `durable-objects/metrics-do.ts` implements it. */
export interface MetricsAggregateApi {
  /** Keeps `report` unless this object already pushed one with a sequence at least as high; true when kept. */
  push(object: string, report: AgentMetricsReport): boolean;
  /** The object's agent is gone: its series leave /metrics. */
  forget(object: string): void;
  /** The reports of this aggregate's first `agentLimit` agents by name (all shards of each); every agent's without a limit. */
  reports(agentLimit?: number): PushedReport[];
  /** The reports of these agents' objects (all shards of each). */
  reportsOf(agents: string[]): PushedReport[];
  totals(): MetricsTotals;
}

/** What one report adds to the totals. */
function contribution(report: AgentMetricsReport): MetricsTotals {
  const out: MetricsTotals = {
    objects: 1,
    in_flight: report.in_flight,
    retries: report.retries,
    breaker_open: report.breaker.state === "open" ? 1 : 0,
    breaker_half_open: report.breaker.state === "half_open" ? 1 : 0,
  };
  for (const s of report.messages) out[`${s.direction}:${s.outcome}`] = (out[`${s.direction}:${s.outcome}`] ?? 0) + s.count;
  return out;
}

export class AggregateTable {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS pushed_reports (object TEXT PRIMARY KEY, agent TEXT NOT NULL, seq INTEGER NOT NULL, report TEXT NOT NULL, pushed_at INTEGER NOT NULL)",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS pushed_reports_agent ON pushed_reports(agent)");
    sql.exec("CREATE TABLE IF NOT EXISTS pushed_totals (key TEXT PRIMARY KEY, value REAL NOT NULL)");
  }

  push(object: string, report: AgentMetricsReport, now = Date.now()): boolean {
    const before = this.held(object);
    if (before && before.seq >= report.seq) return false;
    this.sql.exec(
      `INSERT INTO pushed_reports (object, agent, seq, report, pushed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(object) DO UPDATE SET seq = excluded.seq, report = excluded.report, pushed_at = excluded.pushed_at`,
      object,
      parseObjectName(object).agent,
      report.seq,
      JSON.stringify(report),
      now,
    );
    this.addToTotals(contribution(report), before ? contribution(before) : {});
    return true;
  }

  forget(object: string): void {
    const before = this.held(object);
    if (!before) return;
    this.sql.exec("DELETE FROM pushed_reports WHERE object = ?", object);
    this.addToTotals({}, contribution(before));
  }

  reports(agentLimit?: number): PushedReport[] {
    if (agentLimit === undefined) return this.rows(this.sql.exec("SELECT object, report, pushed_at FROM pushed_reports ORDER BY object"));
    // Through the agent index: the cost is the limit's, however many agents this aggregate holds.
    return this.rows(
      this.sql.exec(
        "SELECT object, report, pushed_at FROM pushed_reports WHERE agent IN (SELECT DISTINCT agent FROM pushed_reports ORDER BY agent LIMIT ?) ORDER BY object",
        agentLimit,
      ),
    );
  }

  reportsOf(agents: string[]): PushedReport[] {
    return agents.flatMap((agent) => this.rows(this.sql.exec("SELECT object, report, pushed_at FROM pushed_reports WHERE agent = ? ORDER BY object", agent)));
  }

  totals(): MetricsTotals {
    const out: MetricsTotals = {};
    for (const row of this.sql.exec("SELECT key, value FROM pushed_totals")) if (Number(row.value) !== 0) out[String(row.key)] = Number(row.value);
    return out;
  }

  private held(object: string): AgentMetricsReport | null {
    const row = this.sql.exec<{ report: string }>("SELECT report FROM pushed_reports WHERE object = ?", object).toArray()[0];
    return row ? (JSON.parse(row.report) as AgentMetricsReport) : null;
  }

  private addToTotals(add: MetricsTotals, subtract: MetricsTotals): void {
    for (const key of new Set([...Object.keys(add), ...Object.keys(subtract)])) {
      const delta = (add[key] ?? 0) - (subtract[key] ?? 0);
      if (delta !== 0)
        this.sql.exec("INSERT INTO pushed_totals (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value", key, delta);
    }
  }

  private rows(cursor: SqlStorageCursor<Record<string, SqlStorageValue>>): PushedReport[] {
    return cursor
      .toArray()
      .map((row) => ({ object: String(row.object), report: JSON.parse(String(row.report)) as AgentMetricsReport, pushed_at: Number(row.pushed_at) }));
  }
}

function aggregate(env: Pick<Env, "METRICS">, shard: number): Remote<MetricsAggregateApi> {
  return objectStub(env.METRICS, shardObjectName("metrics", shard));
}

/** The aggregate agent `agent`'s objects push to. */
export function metricsAggregateOf(env: Pick<Env, "METRICS">, agent: string): Remote<MetricsAggregateApi> {
  return aggregate(env, keyShard(agent, METRICS_SHARDS));
}

/** Agents with their own series in `GET /metrics` by default. @default 256 */
export const DEFAULT_METRICS_AGENT_SERIES = 256;

/** `SWITCHBOARD_METRICS_AGENT_SERIES`: how many agents `GET /metrics` lists one by one, 0 … 100,000; the default otherwise. */
export function metricsAgentSeries(vars: { SWITCHBOARD_METRICS_AGENT_SERIES?: string }): number {
  const value = Number(vars.SWITCHBOARD_METRICS_AGENT_SERIES);
  return vars.SWITCHBOARD_METRICS_AGENT_SERIES !== undefined && Number.isInteger(value) && value >= 0 && value <= 100_000
    ? value
    : DEFAULT_METRICS_AGENT_SERIES;
}

/**
 * The newest reports of at most about `agents` agents, a sharded agent's shards merged (home
 * first), sorted by agent: each aggregate gives its first `agents / METRICS_SHARDS` by name, so
 * the set is stable between scrapes and its cost is bounded by `agents`, not by the deployment.
 */
export async function collectReports(env: Pick<Env, "METRICS">, agents: number): Promise<AgentMetricsReport[]> {
  const perAggregate = Math.ceil(agents / METRICS_SHARDS);
  if (perAggregate === 0) return [];
  const pushed = await Promise.all(Array.from({ length: METRICS_SHARDS }, (_, k) => aggregate(env, k).reports(perAggregate)));
  return mergeByAgent(pushed.flat());
}

/** The newest reports of `agents` only: one round trip to each aggregate that holds any of them. */
export async function reportsOf(env: Pick<Env, "METRICS">, agents: string[]): Promise<AgentMetricsReport[]> {
  const byShard = new Map<number, string[]>();
  for (const agent of new Set(agents)) byShard.set(keyShard(agent, METRICS_SHARDS), [...(byShard.get(keyShard(agent, METRICS_SHARDS)) ?? []), agent]);
  const pushed = await Promise.all([...byShard].map(([shard, names]) => aggregate(env, shard).reportsOf(names)));
  return mergeByAgent(pushed.flat());
}

/** The deployment's totals: the sum of every aggregate's, `METRICS_SHARDS` round trips. */
export async function collectTotals(env: Pick<Env, "METRICS">): Promise<MetricsTotals> {
  const all = await Promise.all(Array.from({ length: METRICS_SHARDS }, (_, k) => aggregate(env, k).totals()));
  const out: MetricsTotals = {};
  for (const totals of all) for (const [key, value] of Object.entries(totals)) out[key] = (out[key] ?? 0) + value;
  return out;
}

function mergeByAgent(pushed: PushedReport[]): Array<AgentMetricsReport & { pushed_at: number }> {
  const byAgent = new Map<string, PushedReport[]>();
  for (const one of pushed) {
    const { agent } = parseObjectName(one.object);
    byAgent.set(agent, [...(byAgent.get(agent) ?? []), one]);
  }
  const merged: Array<AgentMetricsReport & { pushed_at: number }> = [];
  for (const [agent, reports] of [...byAgent].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // The home object's report names the breaker and limits (./merge-reports.ts), so it goes first.
    reports.sort((a, b) => parseObjectName(a.object).shard - parseObjectName(b.object).shard);
    const report = mergeShardReports(reports.map((r) => r.report));
    if (report) merged.push({ ...report, agent, pushed_at: Math.max(...reports.map((r) => r.pushed_at)) });
  }
  return merged;
}

/**
 * The deployment-wide series of `GET /metrics`, from the totals (constant cost): messages by
 * outcome, in-flight calls, retries and breakers over every agent, and how many agents the scrape
 * listed one by one. A deleted agent's counts leave the sums, which Prometheus reads as a reset.
 */
export function deploymentSamples(totals: MetricsTotals, listed: number): ExtraSample[] {
  const counted = (direction: "in" | "out") =>
    Object.entries(totals)
      .filter(([key]) => key.startsWith(`${direction}:`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ outcome: key.slice(direction.length + 1), value }));
  const inbound = "Messages handled by every agent of the deployment, by outcome.";
  const outbound = "Calls every agent of the deployment made to other agents, by outcome.";
  return [
    ...counted("in").map(({ outcome, value }) => ({
      name: "switchboard_deployment_messages_total",
      help: inbound,
      type: "counter" as const,
      labels: { outcome },
      value,
    })),
    ...counted("out").map(({ outcome, value }) => ({
      name: "switchboard_deployment_outbound_messages_total",
      help: outbound,
      type: "counter" as const,
      labels: { outcome },
      value,
    })),
    {
      name: "switchboard_deployment_in_flight",
      help: "Calls running in every agent, as of each agent's last push.",
      type: "gauge",
      value: totals.in_flight ?? 0,
    },
    { name: "switchboard_deployment_retries_total", help: "Deliveries retried, over every agent.", type: "counter", value: totals.retries ?? 0 },
    ...(["open", "half_open"] as const).map((state) => ({
      name: "switchboard_deployment_breakers",
      help: "Agents whose breaker is in this state.",
      type: "gauge" as const,
      labels: { state },
      value: totals[`breaker_${state}`] ?? 0,
    })),
    {
      name: "switchboard_deployment_objects",
      help: "Agent objects (a sharded agent's shards each count) that pushed metrics.",
      type: "gauge",
      value: totals.objects ?? 0,
    },
    {
      name: "switchboard_metrics_agent_series",
      help: "Agents this scrape lists one by one (SWITCHBOARD_METRICS_AGENT_SERIES, or ?agents=); the deployment series cover every agent.",
      type: "gauge",
      value: listed,
    },
  ];
}

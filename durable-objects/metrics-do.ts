/**
 * MetricsDO: one metrics aggregate (`metrics`, `metrics#1` …; lib/observability/metrics-aggregate.ts).
 * Agent objects push their newest report here after their counters change; `GET /metrics` reads
 * every aggregate and nothing else. Never on the message path.
 */
import { DurableObject } from "cloudflare:workers";
import { AggregateTable, type MetricsAggregateApi, type MetricsTotals, type PushedReport } from "../lib/observability/metrics-aggregate";
import type { AgentMetricsReport } from "../lib/observability/prometheus";

export class MetricsDO extends DurableObject<Env> implements MetricsAggregateApi {
  private readonly table: AggregateTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new AggregateTable(ctx.storage.sql);
  }

  push(object: string, report: AgentMetricsReport): boolean {
    return this.table.push(object, report);
  }

  forget(object: string): void {
    this.table.forget(object);
  }

  reports(agentLimit?: number): PushedReport[] {
    return this.table.reports(agentLimit);
  }

  reportsOf(agents: string[]): PushedReport[] {
    return this.table.reportsOf(agents);
  }

  totals(): MetricsTotals {
    return this.table.totals();
  }
}

/**
 * This object's metrics on their way to its metrics aggregate (lib/observability/metrics-aggregate.ts),
 * so `GET /metrics` never has to ask an agent. When the counters change and no push is due, a
 * `metrics` deadline is set `flushMs` ahead; when it is due the whole cumulative report goes, with
 * its sequence number. A push that fails stays due and is retried by the deadline table; one that
 * arrives twice or late is ignored by the aggregate; an eviction in between loses nothing, the
 * counters and the deadline are both durable.
 */
import { metricsAggregateOf } from "../../lib/observability/metrics-aggregate";
import type { AgentMetricsReport } from "../../lib/observability/prometheus";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";

const KIND = "metrics";
const KEY = "push";

export interface MetricsPushDeps {
  env: Env;
  deadlines: DeadlineTable;
  /** This object's name (`agent`, or `agent#k` for shard k). */
  objectName: string;
  agent: string;
  /** The report to push now; null when the agent is gone (its series are then withdrawn). */
  report(): AgentMetricsReport | null;
  flushMs: number;
  waitUntil(promise: Promise<unknown>): void;
}

export class MetricsPush {
  /** A push is due; set again on eviction by the next change (the due deadline itself is durable). */
  private armed = false;

  constructor(private readonly deps: MetricsPushDeps) {
    deps.deadlines.handle(KIND, () => this.push());
  }

  /** The counters (or the agent) changed: push within `flushMs`, unless a push is already due. */
  changed(): void {
    if (this.armed) return;
    this.armed = true;
    this.deps.waitUntil(
      this.deps.deadlines.schedule(KIND, KEY, Date.now() + this.deps.flushMs).catch((error) => {
        this.armed = false;
        console.error(JSON.stringify({ level: "error", msg: "could not schedule the metrics push", error: String(error) }));
      }),
    );
  }

  /** The deadline: the newest report to the aggregate, or its withdrawal. Throws while the aggregate is unreachable (retried). */
  async push(): Promise<void> {
    this.armed = false;
    const aggregate = metricsAggregateOf(this.deps.env, this.deps.agent);
    const report = this.deps.report();
    if (report) await aggregate.push(this.deps.objectName, report);
    else await aggregate.forget(this.deps.objectName);
  }
}

/**
 * This object's message log and metrics: every row the agent writes goes through here, so the row,
 * its metrics, its JSON log line and the trace index stay in step. Also answers the read side:
 * `GET /agents/:name/log`, a trace's rows, and the metrics report.
 */
import type { Outcome } from "../../lib/message/call";
import type { Envelope } from "../../lib/message/envelope";
import { callRow, type LoggedCall, replyRow } from "../../lib/observability/call-log";
import { LIMITS } from "../../lib/message/limits";
import { LOG_FLUSH_MS, type LoggedRow, type LogRow, MessageLog } from "../../lib/observability/message-log";
import { keepsRow } from "../../lib/observability/log-sampling";
import { AgentMetrics, histogramLatency, logLatency } from "../../lib/observability/metrics";
import { MessageObserver } from "../../lib/observability/observe";
import type { AgentMetricsReport } from "../../lib/observability/prometheus";
import { observabilitySwitches } from "../../lib/observability/switches";
import { TraceAnnouncer, type TraceRow, traceIndex, traceIndexShardOf } from "../../lib/observability/trace-index";
import type { AgentEntry } from "../../lib/registry/entry";
import type { CircuitBreaker } from "../../lib/resilience/circuit-breaker";

export class Observability {
  readonly log: MessageLog;
  /** Counters and histograms, updated where the log row is written (lib/observability/metrics.ts). */
  readonly metrics: AgentMetrics;
  private readonly observer: MessageObserver;

  private readonly announcer: TraceAnnouncer;

  /**
   * `self` is the agent this object serves; `objectName` its own name, so a sharded agent's rows
   * are found on the shard that holds them. `metricsChanged` hears of every write of the counters.
   */
  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly self: string,
    objectName: string,
    metricsChanged: () => void,
    /** The share of successes the log keeps (the entry's `log.sample`). */
    private readonly sampleRate: () => number,
  ) {
    const index = traceIndexShardOf(objectName);
    this.announcer = new TraceAnnouncer((entries) => {
      ctx.waitUntil(
        traceIndex(env, index)
          .note(objectName, entries)
          .catch(() => {}),
      );
    });
    this.metrics = new AgentMetrics(ctx.storage.sql, metricsChanged);
    // The counters are written with the log rows they count: one commit, equally durable.
    this.log = new MessageLog(ctx.storage.sql, LIMITS.logRows, LOG_FLUSH_MS, () => this.metrics.flush());
    this.observer = new MessageObserver({
      switches: observabilitySwitches(env),
      metrics: this.metrics,
      // Batched and not awaited: the trace index is off the reply path; a lost batch only hides rows from /traces.
      announce: (traceId, _agent, at) => this.announcer.add(traceId, at),
    });
  }

  /** A finished call: `in` when this agent was called, `out` when its handler called another. */
  record(direction: "in" | "out", outcome: Outcome): void {
    this.handled(callRow(direction, outcome));
  }

  /** Counted always; logged unless sampled out (a hot agent's successes), when the count still goes out with the next write. */
  private handled(row: LogRow): void {
    const logged = keepsRow(row, this.sampleRate());
    if (logged) this.log.append(row);
    else this.log.flushSoon();
    this.observer.observe(this.self, row, logged);
  }

  /** A handler answered after its call ended (cancelled or timed out): logged and traced, not counted again. */
  dropped(call: LoggedCall, detail: string): void {
    this.append({ ...callRow("in", { call, outcome: "ok", duration_ms: 0 }), outcome: "late", duration_ms: null, detail });
  }

  /** A call answered with an earlier call's reply (its idempotency key's): logged as `duplicate` and traced, not counted as handled. */
  replayed(call: LoggedCall, detail: string): void {
    this.append({ ...callRow("in", { call, outcome: "ok", duration_ms: 0 }), outcome: "duplicate", detail });
  }

  /** What became of a reply to one of this agent's requests (or of its absence, `timed_out`). */
  logReply(requestId: string, outcome: string, reply?: Envelope): void {
    this.handled(replyRow(this.self, requestId, outcome, reply));
  }

  recent(limit: number, before?: number): LoggedRow[] {
    return this.log.recent(limit, before);
  }

  /** This agent's rows of one trace, for `GET /traces/:id`. */
  traceRows(name: string, traceId: string): TraceRow[] {
    return this.log.byTrace(traceId).map((row) => ({ ...row, agent: name }));
  }

  /** Counters, latency percentiles and live status; null when there is no such agent. */
  report(name: string, entry: AgentEntry | null, breaker: CircuitBreaker | null, inFlight: number): AgentMetricsReport | null {
    if (!entry || !breaker) return null;
    const snapshot = this.metrics.snapshot();
    return {
      agent: name,
      breaker: breaker.snapshot(),
      in_flight: inFlight,
      max_concurrency: entry.limits.max_concurrency,
      // A sampled log over-represents failures, so a sampled agent's latency comes from its histogram.
      latency_ms: entry.log.sample < 1 ? histogramLatency(snapshot.messages) : logLatency(this.log.recentDurations(500)),
      ...snapshot,
    };
  }

  /** Rows that record no message this agent handled (batch flushes, fan-out): logged and traced, not counted. */
  append(row: LogRow): void {
    this.log.append(row);
    this.observer.traced(this.self, row);
  }
}

/**
 * Renders agents' metric snapshots as Prometheus text exposition format (version 0.0.4).
 * Pure: `GET /metrics` collects the reports, this turns them into text.
 */
import type { DeliveryStatus } from "../flow/delivery-status";
import type { BreakerSnapshot } from "../resilience/circuit-breaker";
import { type AgentMetricsSnapshot, BATCH_BUCKETS, DURATION_BUCKETS } from "./metrics";

/** What one AgentDO reports about itself (`GET /agents/:name/metrics`). */
export interface AgentMetricsReport extends AgentMetricsSnapshot {
  agent: string;
  breaker: BreakerSnapshot;
  in_flight: number;
  max_concurrency: number;
  /** Over the newest inbound messages in the log. */
  latency_ms: { p50: number | null; p95: number | null; samples: number };
  /** From the home object, which keeps the agent's scheduled and held requests. */
  deliveries?: DeliveryStatus;
}

/** A process-wide gauge another feature contributes (e.g. the DLQ store's size). */
export interface ExtraSample {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labels?: Record<string, string>;
  value: number;
}

const BREAKER_STATES = ["closed", "open", "half_open"] as const;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string | number>): string {
  const text = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
    .join(",");
  return text ? `{${text}}` : "";
}

function num(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? "+Inf" : "NaN";
}

class Exposition {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  family(name: string, type: string, help: string): void {
    if (this.declared.has(name)) return;
    this.declared.add(name);
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, pairs: Record<string, string | number>, value: number): void {
    this.lines.push(`${name}${labels(pairs)} ${num(value)}`);
  }

  histogram(name: string, pairs: Record<string, string>, bounds: readonly number[], buckets: number[], sum: number, count: number): void {
    bounds.forEach((le, i) => {
      this.sample(`${name}_bucket`, { ...pairs, le: String(le) }, buckets[i] ?? 0);
    });
    this.sample(`${name}_bucket`, { ...pairs, le: "+Inf" }, count);
    this.sample(`${name}_sum`, pairs, sum);
    this.sample(`${name}_count`, pairs, count);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

export function renderPrometheus(reports: AgentMetricsReport[], extra: ExtraSample[] = []): string {
  const out = new Exposition();
  const sorted = [...reports].sort((a, b) => a.agent.localeCompare(b.agent));

  out.family("switchboard_messages_total", "counter", "Messages handled by an agent, by outcome.");
  for (const r of sorted)
    for (const s of r.messages.filter((m) => m.direction === "in")) out.sample("switchboard_messages_total", { agent: r.agent, outcome: s.outcome }, s.count);

  out.family("switchboard_outbound_messages_total", "counter", "Calls an agent made to other agents, by outcome.");
  for (const r of sorted)
    for (const s of r.messages.filter((m) => m.direction === "out"))
      out.sample("switchboard_outbound_messages_total", { agent: r.agent, outcome: s.outcome }, s.count);

  out.family("switchboard_message_duration_seconds", "histogram", "Time from a message reaching an agent to its outcome.");
  for (const r of sorted) {
    const inbound = r.messages.filter((m) => m.direction === "in");
    if (inbound.length === 0) continue;
    const buckets = DURATION_BUCKETS.map((_, i) => inbound.reduce((n, s) => n + (s.buckets[i] ?? 0), 0));
    const sum = inbound.reduce((n, s) => n + s.sum_seconds, 0);
    const count = inbound.reduce((n, s) => n + s.count, 0);
    out.histogram("switchboard_message_duration_seconds", { agent: r.agent }, DURATION_BUCKETS, buckets, sum, count);
  }

  out.family("switchboard_breaker_state", "gauge", "1 for the circuit breaker's current state, 0 for the others.");
  for (const r of sorted)
    for (const state of BREAKER_STATES) out.sample("switchboard_breaker_state", { agent: r.agent, state }, r.breaker.state === state ? 1 : 0);

  out.family("switchboard_breaker_failures", "gauge", "Consecutive failures the breaker has counted.");
  for (const r of sorted) out.sample("switchboard_breaker_failures", { agent: r.agent }, r.breaker.failures);

  out.family("switchboard_in_flight", "gauge", "Calls running in the agent right now (concurrency slots taken).");
  for (const r of sorted) out.sample("switchboard_in_flight", { agent: r.agent }, r.in_flight);

  out.family("switchboard_retries_total", "counter", "Deliveries to the agent that were retried.");
  for (const r of sorted) out.sample("switchboard_retries_total", { agent: r.agent }, r.retries);

  out.family(
    "switchboard_tool_rejections_total",
    "counter",
    "Tool calls a model asked for that were refused before any call (unknown tool, arguments failing input_schema).",
  );
  for (const r of sorted) out.sample("switchboard_tool_rejections_total", { agent: r.agent }, r.tool_rejections);

  out.family("switchboard_batch_size", "histogram", "Messages per batch handed to an agent.");
  for (const r of sorted) {
    if (r.batches.count === 0) continue;
    out.histogram("switchboard_batch_size", { agent: r.agent }, BATCH_BUCKETS, r.batches.buckets, r.batches.sum, r.batches.count);
  }

  out.family("switchboard_agent_gauge", "gauge", "Gauges an agent reports about itself (e.g. dlq_size).");
  for (const r of sorted) for (const [name, value] of Object.entries(r.gauges)) out.sample("switchboard_agent_gauge", { agent: r.agent, name }, value);

  for (const s of extra) {
    out.family(s.name, s.type, s.help);
    out.sample(s.name, s.labels ?? {}, s.value);
  }
  return out.text();
}

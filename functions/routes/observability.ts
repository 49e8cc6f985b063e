/**
 * Observability reads: GET /traces/:trace_id (one flow across agents, from the agents' own
 * objects), GET /metrics (Prometheus text, from the metrics aggregates agents push to) and
 * GET /agents/:name/metrics (JSON, live from the agent's objects). None is on the message path.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { addMetricsSource, collectSources } from "../../lib/observability/metrics-sources";
import {
  collectReports,
  collectTotals,
  deploymentSamples,
  type MetricsTotals,
  metricsAgentSeries,
  metricsFlushMs,
  reportsOf,
} from "../../lib/observability/metrics-aggregate";
import { renderPrometheus } from "../../lib/observability/prometheus";
import { orderTrace, TRACE_ID, TRACE_INDEX_SHARDS, traceIndex, traceObjects } from "../../lib/observability/trace-index";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { parseObjectName } from "../../lib/registry/shards";
import { deadLetters } from "../../lib/resilience/dead-letter-store";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { json, problems, route } from "../http/route";
import { agentParam, parseWith } from "../http/validate";

/** At most this many agent objects are asked at once by a trace read. */
const FAN_OUT = 16;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// The dead-letter shards, asked only when /metrics is scraped.
addMetricsSource(async (env) => {
  const counts = await deadLetters(env).counts();
  const total = Object.values(counts).reduce((n, v) => n + v, 0);
  return [
    { name: "switchboard_dlq_size", help: "Dead letters stored, by agent and in total.", type: "gauge", value: total },
    ...Object.entries(counts).map(([agent, value]) => ({ name: "switchboard_dlq_size", help: "", type: "gauge" as const, labels: { agent }, value })),
  ];
});

/** `?names=a,b,c`: up to 100 agent names. */
const MetricsNames = z
  .string()
  .max(6400)
  .transform((text) => (text === "" ? [] : text.split(",")))
  .pipe(z.array(AgentName).max(100, "at most 100 names"));

/** The totals as the API shows them: message counts grouped by direction, outcome by outcome. */
function publicTotals(totals: MetricsTotals) {
  const by = (prefix: string) =>
    Object.fromEntries(
      Object.entries(totals)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  return {
    objects: totals.objects ?? 0,
    messages: by("in:"),
    outbound: by("out:"),
    in_flight: totals.in_flight ?? 0,
    retries: totals.retries ?? 0,
    breakers_open: totals.breaker_open ?? 0,
    breakers_half_open: totals.breaker_half_open ?? 0,
  };
}

const TraceRowSchema = z
  .object({
    agent: z.string(),
    seq: z.number(),
    id: z.string(),
    at: z.string(),
    direction: z.enum(["in", "out"]),
    from: z.string().nullable(),
    to: z.string(),
    role: z.string(),
    pattern: z.string(),
    outcome: z.string(),
    duration_ms: z.number().nullable(),
    trace_id: z.string().nullable(),
    request_id: z.string().nullable(),
    preview: z.string().nullable(),
    detail: z.string().nullable(),
    depth: z.number().nullable(),
  })
  .openapi("TraceRow");

export function observabilityRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/traces/{trace_id}",
      tags: ["observability"],
      summary: "Every logged message of one trace, across agents, in flow order (admin)",
      description:
        "The trace id is the 32-hex middle part of a W3C traceparent (every response echoes one). Rows are ordered by start time, then hop depth. The index is written off the reply path, so a trace may take a moment to appear in full.",
      request: { params: z.object({ trace_id: z.string().regex(TRACE_ID) }) },
      responses: {
        200: { description: "the flow", ...json(z.object({ trace_id: z.string(), agents: z.array(z.string()), messages: z.array(TraceRowSchema) })) },
        ...problems(400, 401, 403),
      },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const traceId = (c.req.param("trace_id") ?? "").toLowerCase();
      if (!TRACE_ID.test(traceId)) throw new SwitchboardError("invalid_request", "trace_id must be 32 hex characters (the middle of a traceparent)");
      // The index lists objects (a sharded agent's shards are `name#k`); rows are labelled by agent.
      // Each agent object announces to one index object of its own, so every index object is asked.
      const shards = Array.from({ length: TRACE_INDEX_SHARDS }, (_, k) => k);
      const objects = traceObjects(await mapLimit(shards, FAN_OUT, (shard) => traceIndex(c.env, shard).sightings(traceId)));
      const rows = await mapLimit(objects, FAN_OUT, (objectName) => {
        const { agent, shard } = parseObjectName(objectName);
        return agentRef(c.env, agent).onShard(shard).traceRows(traceId);
      });
      const agents = [...new Set(objects.map((o) => parseObjectName(o).agent))];
      return c.json({ trace_id: traceId, agents, messages: orderTrace(rows.flat()) });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/metrics",
      tags: ["observability"],
      summary: "Prometheus metrics: deployment-wide series, and per-agent series for a bounded set of agents (admin)",
      description:
        "Each agent object pushes its counters to one of a fixed number of aggregates within SWITCHBOARD_METRICS_FLUSH_MS (default 10 s) of a change; a scrape reads only the aggregates. `switchboard_deployment_*` series cover every agent at a cost that does not grow with their number; the per-agent series (`switchboard_messages_total{agent,outcome}` …) list at most SWITCHBOARD_METRICS_AGENT_SERIES agents (default 256, a stable set by name), or exactly the agents in `agents` (comma-separated, up to 100). Counters are exact and monotonic; gauges (breaker, in-flight) are as of the agent's last push.",
      request: { query: z.object({ agents: z.string().optional() }) },
      responses: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } }, ...problems(400, 401, 403) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const names = parseWith(MetricsNames, c.req.query("agents") ?? "", "agents");
      // Only the aggregates agents push to, and a bounded number of agents' reports from each:
      // the scrape costs the same whatever the number of agents.
      const [reports, totals, extra] = await Promise.all([
        names.length ? reportsOf(c.env, names) : collectReports(c.env, metricsAgentSeries(c.env)),
        collectTotals(c.env),
        collectSources(c.env),
      ]);
      const text = renderPrometheus(reports, [...deploymentSamples(totals, reports.length), ...extra]);
      return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/metrics/agents",
      tags: ["observability"],
      summary: "The metrics aggregates as JSON: deployment totals, and the reports of the agents named (admin)",
      description:
        "For dashboards: `totals` sums every agent's pushed counters (messages by outcome, in-flight, retries, open breakers) in constant time; `agents` holds the pushed reports of the agents in `names` (comma-separated, up to 100), e.g. one page of GET /agents. Reports are as of each agent's last push (`pushed_at`).",
      request: { query: z.object({ names: z.string().optional() }) },
      responses: {
        200: {
          description: "totals and reports",
          ...json(z.object({ at: z.string(), flush_ms: z.number(), totals: z.record(z.string(), z.unknown()), agents: z.array(z.unknown()) })),
        },
        ...problems(400, 401, 403),
      },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const names = parseWith(MetricsNames, c.req.query("names") ?? "", "names");
      const [totals, agents] = await Promise.all([collectTotals(c.env), names.length ? reportsOf(c.env, names) : []]);
      return c.json({ at: new Date().toISOString(), flush_ms: metricsFlushMs(c.env), totals: publicTotals(totals), agents });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/metrics",
      tags: ["observability"],
      summary: "One agent's counters, latency percentiles, breaker and in-flight (admin or the agent itself)",
      request: { params: z.object({ name: AgentName }) },
      responses: { 200: { description: "metrics", ...json(z.record(z.string(), z.unknown())) }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const principal = c.var.principal;
      if (principal.kind !== "admin" && principal.agent !== name)
        throw new SwitchboardError("forbidden", "only admin or the agent itself may read its metrics");
      const report = await agentRef(c.env, name).metrics();
      if (!report) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json(report);
    },
  );
}

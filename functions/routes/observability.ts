/**
 * Observability reads: GET /traces/:trace_id (one flow across agents), GET /metrics (Prometheus
 * text, aggregated over every known agent at scrape time) and GET /agents/:name/metrics (JSON).
 * All of them fan out to agents' own Durable Objects; none is on the message path.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { addMetricsSource, collectSources } from "../../lib/observability/metrics-sources";
import { type AgentMetricsReport, renderPrometheus } from "../../lib/observability/prometheus";
import { orderTrace, TRACE_ID, traceIndex, traceIndexShard } from "../../lib/observability/trace-index";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { codeEntriesOf } from "../agents";
import { parseObjectName } from "../../lib/registry/shards";
import { directory } from "../../lib/registry/directory";
import { deadLetterStore } from "../../lib/resilience/dead-letter-store";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { problems, route } from "../http/route";
import { agentParam } from "../http/validate";

const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });

/** At most this many agent objects are asked at once by a scrape or a trace read. */
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

/** Every agent the deployment knows: code agents and the directory's configured agents. */
export async function knownAgents(env: Env): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of directory(env, codeEntriesOf(env)).each()) names.push(entry.name);
  return names;
}

// The dead-letter store is one object; asked only when /metrics is scraped.
addMetricsSource(async (env) => {
  const counts = await deadLetterStore(env).counts();
  const total = Object.values(counts).reduce((n, v) => n + v, 0);
  return [
    { name: "switchboard_dlq_size", help: "Dead letters stored, by agent and in total.", type: "gauge", value: total },
    ...Object.entries(counts).map(([agent, value]) => ({ name: "switchboard_dlq_size", help: "", type: "gauge" as const, labels: { agent }, value })),
  ];
});

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
      const objects = await traceIndex(c.env, traceIndexShard(traceId)).agents(traceId);
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
      summary: "Prometheus metrics of every known agent (admin)",
      responses: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } }, ...problems(401, 403) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const names = await knownAgents(c.env);
      const reports = await mapLimit(names, FAN_OUT, (name) => agentRef(c.env, name).metrics());
      const text = renderPrometheus(
        reports.filter((r): r is AgentMetricsReport => r !== null),
        await collectSources(c.env),
      );
      return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
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

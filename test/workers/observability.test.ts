import { afterEach, describe, expect, it, vi } from "vitest";
import { newTraceparent, traceIdOf } from "../../lib/message/trace";
import { api, eventually, settled, testServer, uniqueName } from "../support/api";

/**
 * The trace index is written off the reply path (not awaited), so a read right after the reply may
 * race it: wait (bounded) until the rows we expect are there.
 */
function traceUntil(traceId: string, rows: number): Promise<any> {
  return eventually(
    async () => {
      const body = (await api("GET", `/traces/${traceId}`)).body;
      return body.messages?.length >= rows ? body : undefined;
    },
    10_000,
    `${rows} rows of trace ${traceId}`,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("traces", () => {
  it("lists one flow across agents in order: invoke → planner → ctx.invoke → summarizer", async () => {
    const traceparent = newTraceparent();
    const traceId = traceIdOf(traceparent) as string;
    const res = await api("POST", "/agents/planner/invoke", { body: { content: "Ship it. Tell them." }, headers: { traceparent } });
    expect(res.status).toBe(200);
    expect(traceIdOf(res.body.trace.traceparent)).toBe(traceId);
    expect(traceIdOf(res.headers.get("traceparent"))).toBe(traceId);

    const trace = await traceUntil(traceId, 3);
    expect(trace.trace_id).toBe(traceId);
    expect(trace.agents.sort()).toEqual(["planner", "summarizer"]);
    expect(trace.messages.map((m: any) => `${m.agent}:${m.direction}:${m.pattern}`)).toEqual([
      "planner:in:invoke",
      "planner:out:ctx.invoke",
      "summarizer:in:ctx.invoke",
    ]);
    expect(trace.messages.every((m: any) => m.trace_id === traceId && m.outcome === "ok")).toBe(true);
    // The hop from planner to summarizer is one message, seen by both sides.
    expect(trace.messages[1].id).toBe(trace.messages[2].id);
    expect(trace.messages[2].depth).toBe(1);
  });

  it("starts a trace when the caller sends none and carries it to a remote agent's traceparent header", async () => {
    const name = uniqueName("traced");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(200);
    const traceId = traceIdOf(res.headers.get("traceparent")) as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const calls = (await (await fetch(`${testServer()}/_calls/${name}`)).json()) as Array<{ headers: Record<string, string> }>;
    expect(traceIdOf(calls[0]?.headers.traceparent)).toBe(traceId);
    const trace = await traceUntil(traceId, 1);
    expect(trace.messages).toHaveLength(1);
    expect(trace.messages[0]).toMatchObject({ agent: name, direction: "in", outcome: "ok" });
  });

  it("follows a flow through the delivery queue (async messages)", async () => {
    const traceparent = newTraceparent();
    const traceId = traceIdOf(traceparent) as string;
    const res = await api("POST", "/agents/planner/messages", { body: { content: "Queue it. Then plan." }, headers: { traceparent } });
    expect(res.status).toBe(202);
    expect((await settled(res.body.request_id)).status).toBe("replied");
    const trace = await traceUntil(traceId, 3);
    expect(trace.messages.map((m: any) => `${m.agent}:${m.direction}:${m.pattern}`)).toEqual([
      "planner:in:async",
      "planner:out:ctx.invoke",
      "summarizer:in:ctx.invoke",
    ]);
  });

  it("keeps separate flows apart and rejects malformed trace ids", async () => {
    const a = newTraceparent();
    await api("POST", "/agents/echo/invoke", { body: { content: "a" }, headers: { traceparent: a } });
    const unknown = (await api("GET", `/traces/${"ab".repeat(16)}`)).body;
    expect(unknown.messages).toEqual([]);
    expect((await api("GET", "/traces/not-a-trace")).status).toBe(400);
    expect((await api("GET", `/traces/${traceIdOf(a)}`, { as: "planner" })).status).toBe(403);
  });
});

describe("metrics", () => {
  it("counts messages by outcome with a latency histogram, per agent and in Prometheus text", async () => {
    const name = uniqueName("metered");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/status/400/${name}` } });
    await api("POST", `/agents/${name}/invoke`, { body: { content: 1 } });
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await api("POST", `/agents/${name}/invoke`, { body: { content: 2 } });
    await api("POST", `/agents/${name}/invoke`, { body: { content: 3 } });

    const report = (await api("GET", `/agents/${name}/metrics`)).body;
    expect(report).toMatchObject({ agent: name, in_flight: 0, breaker: { state: "closed" }, latency_ms: { samples: 3 } });
    const ok = report.messages.find((m: any) => m.direction === "in" && m.outcome === "ok");
    const failed = report.messages.find((m: any) => m.direction === "in" && m.outcome === "agent_error");
    expect(ok.count).toBe(2);
    expect(failed.count).toBe(1);
    expect(ok.buckets.at(-1)).toBe(2);
    expect(report.latency_ms.p50).toBeTypeOf("number");

    await api("POST", "/agents/echo/invoke", { body: { content: "code agents report too" } });
    // Agents push their counters to the metrics aggregates shortly after a change (200 ms in tests).
    const res = await eventually(async () => {
      const scrape = await api("GET", "/metrics");
      const body = scrape.body as string;
      return body.includes(`switchboard_messages_total{agent="${name}",outcome="ok"} 2`) && body.includes('switchboard_in_flight{agent="echo"}')
        ? scrape
        : undefined;
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = res.body as string;
    expect(text).toContain(`switchboard_messages_total{agent="${name}",outcome="agent_error"} 1`);
    expect(text).toContain(`switchboard_message_duration_seconds_count{agent="${name}"} 3`);
    expect(text).toContain(`switchboard_message_duration_seconds_bucket{agent="${name}",le="+Inf"} 3`);
    expect(text).toContain(`switchboard_breaker_state{agent="${name}",state="closed"} 1`);
    expect(text).toContain(`switchboard_in_flight{agent="${name}"} 0`);
    // Code agents report like any other, once they have handled a message.
    expect(text).toContain('switchboard_in_flight{agent="echo"}');
  });

  it("counts an agent's outbound calls separately", async () => {
    await api("POST", "/agents/planner/invoke", { body: { content: "One." } });
    const report = (await api("GET", "/agents/planner/metrics", { as: "planner" })).body;
    expect(report.messages.find((m: any) => m.direction === "out" && m.outcome === "ok")?.count).toBeGreaterThanOrEqual(1);
  });

  it("counts retries and reports the dead-letter store's size", async () => {
    const flaky = uniqueName("retried");
    await api("PUT", `/agents/${flaky}`, { body: { kind: "http", url: `${testServer()}/flaky/2/${flaky}`, limits: { retry_delay_ms: 0 } } });
    const first = await api("POST", `/agents/${flaky}/messages`, { body: { content: "again" } });
    expect((await settled(first.body.request_id)).attempts).toBe(3);
    expect((await api("GET", `/agents/${flaky}/metrics`)).body.retries).toBe(2);

    const dead = uniqueName("dead");
    await api("PUT", `/agents/${dead}`, { body: { kind: "http", url: `${testServer()}/status/400/${dead}` } });
    const second = await api("POST", `/agents/${dead}/messages`, { body: { content: "bad" } });
    await settled(second.body.request_id);
    const text = await eventually(async () => {
      const body = (await api("GET", "/metrics")).body as string;
      return body.includes(`switchboard_dlq_size{agent="${dead}"} 1`) && body.includes(`switchboard_retries_total{agent="${flaky}"} 2`) ? body : undefined;
    });
    expect(text).toContain(`switchboard_retries_total{agent="${flaky}"} 2`);
    expect(text).toMatch(/^switchboard_dlq_size [1-9]\d*$/m);
  });

  it("is for admin (or the agent itself) only", async () => {
    expect((await api("GET", "/metrics", { as: "planner" })).status).toBe(403);
    expect((await api("GET", "/metrics", { as: null })).status).toBe(401);
    expect((await api("GET", "/agents/echo/metrics", { as: "planner" })).status).toBe(403);
    expect((await api("GET", "/agents/no-such-agent/metrics")).status).toBe(404);
  });
});

describe("JSON logs", () => {
  it("writes one line per message with trace id, parties, pattern, outcome and duration, never the payload", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const traceparent = newTraceparent();
    await api("POST", "/agents/echo/invoke", { body: { content: "top-secret-payload" }, headers: { traceparent } });
    const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "message" && l.trace_id === traceIdOf(traceparent));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ level: "info", agent: "echo", direction: "in", from: null, to: "echo", pattern: "invoke", outcome: "ok" });
    expect(mine[0].duration_ms).toBeTypeOf("number");
    expect(lines.join("\n")).not.toContain("top-secret-payload");
  });
});

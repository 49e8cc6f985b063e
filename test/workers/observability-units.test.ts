import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { messageLogLine } from "../../lib/observability/json-log";
import { LOG_FLUSH_ROWS, MessageLog } from "../../lib/observability/message-log";
import { bucketIndex, cumulative, DURATION_BUCKETS, percentile } from "../../lib/observability/metrics";
import { type AgentMetricsReport, renderPrometheus } from "../../lib/observability/prometheus";
import { observabilitySwitches } from "../../lib/observability/switches";
import { AnnouncedTraces, orderTrace, TraceIndexTable, type TraceRow } from "../../lib/observability/trace-index";
import { uniqueName } from "../support/api";
import { eventually } from "../support/poll";
import { agentObjectStub } from "../support/agent-storage";

const row = (over: Partial<TraceRow>): TraceRow => ({
  seq: 1,
  agent: "a",
  id: "m1",
  at: "2026-01-01T00:00:00.100Z",
  direction: "in",
  from: null,
  to: "a",
  role: "agent_call",
  pattern: "invoke",
  outcome: "ok",
  duration_ms: 0,
  trace_id: "t",
  request_id: null,
  preview: null,
  detail: null,
  depth: 0,
  ...over,
});

describe("observability units", () => {
  it("percentile by nearest rank", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 0.95)).toBe(100);
  });

  it("buckets durations with le semantics", () => {
    expect(bucketIndex(DURATION_BUCKETS, 0)).toBe(0);
    expect(bucketIndex(DURATION_BUCKETS, 0.005)).toBe(0);
    expect(bucketIndex(DURATION_BUCKETS, 0.0051)).toBe(1);
    expect(bucketIndex(DURATION_BUCKETS, 1000)).toBe(-1);
    expect(cumulative([1, 0, 2])).toEqual([1, 1, 3]);
  });

  it("orders a trace by start, then depth, then sender before receiver", () => {
    const rows = [
      row({ agent: "b", id: "m2", direction: "in", depth: 1, at: "2026-01-01T00:00:00.050Z", duration_ms: 0 }),
      row({ agent: "a", id: "m1", direction: "in", depth: 0, at: "2026-01-01T00:00:00.100Z", duration_ms: 50 }),
      row({ agent: "a", id: "m2", direction: "out", depth: 1, at: "2026-01-01T00:00:00.060Z", duration_ms: 10 }),
    ];
    expect(orderTrace(rows).map((r) => `${r.agent}:${r.direction}:${r.id}`)).toEqual(["a:in:m1", "a:out:m2", "b:in:m2"]);
  });

  it("announces each trace once per agent, within a bounded memory", () => {
    const seen = new AnnouncedTraces(2);
    expect(seen.firstSighting("x")).toBe(true);
    expect(seen.firstSighting("x")).toBe(false);
    seen.firstSighting("y");
    seen.firstSighting("z");
    expect(seen.firstSighting("x")).toBe(true);
  });

  it("switches: everything on by default, off together or logs alone", () => {
    expect(observabilitySwitches({})).toEqual({ metrics: true, jsonLogs: true, jsonErrorsOnly: true, traceIndex: true });
    expect(observabilitySwitches({ SWITCHBOARD_JSON_LOGS: "all" })).toEqual({ metrics: true, jsonLogs: true, jsonErrorsOnly: false, traceIndex: true });
    expect(observabilitySwitches({ SWITCHBOARD_OBSERVABILITY: "off" })).toMatchObject({ metrics: false, jsonLogs: false, traceIndex: false });
    expect(observabilitySwitches({ SWITCHBOARD_JSON_LOGS: "off" })).toMatchObject({ metrics: true, jsonLogs: false, traceIndex: true });
    expect(observabilitySwitches({ SWITCHBOARD_JSON_LOGS: "errors" })).toEqual({ metrics: true, jsonLogs: true, jsonErrorsOnly: true, traceIndex: true });
  });

  it("renders Prometheus text with escaped labels and extra samples", () => {
    const report: AgentMetricsReport = {
      agent: "echo",
      seq: 1,
      breaker: { state: "open", failures: 5, opened_at: null, next_probe_at: null, transitions: [] },
      in_flight: 2,
      max_concurrency: 10,
      latency_ms: { p50: 1, p95: 2, samples: 2 },
      messages: [{ direction: "in", outcome: 'we"ird', count: 2, sum_seconds: 0.5, buckets: DURATION_BUCKETS.map(() => 2) }],
      retries: 3,
      tool_rejections: 1,
      batches: { count: 1, sum: 4, buckets: [0, 0, 1, 1, 1, 1, 1] },
      gauges: { dlq_size: 7 },
    };
    const text = renderPrometheus([report], [{ name: "switchboard_dlq_size", help: "Dead letters stored.", type: "gauge", value: 9 }]);
    expect(text).toContain('switchboard_messages_total{agent="echo",outcome="we\\"ird"} 2');
    expect(text).toContain('switchboard_breaker_state{agent="echo",state="open"} 1');
    expect(text).toContain('switchboard_breaker_state{agent="echo",state="closed"} 0');
    expect(text).toContain('switchboard_retries_total{agent="echo"} 3');
    expect(text).toContain('switchboard_tool_rejections_total{agent="echo"} 1');
    expect(text).toContain('switchboard_batch_size_bucket{agent="echo",le="5"} 1');
    expect(text).toContain('switchboard_agent_gauge{agent="echo",name="dlq_size"} 7');
    expect(text).toContain("# TYPE switchboard_dlq_size gauge\nswitchboard_dlq_size 9");
    expect(text.match(/# TYPE switchboard_messages_total/g)).toHaveLength(1);
  });

  it("log lines carry no preview or detail", () => {
    const line = messageLogLine("a", { ...row({}), preview: "secret", detail: "secret" });
    expect(JSON.stringify(line)).not.toContain("secret");
  });
});

describe("trace helpers for other hops", async () => {
  const { traceFrom, traceHeaders, traceIdOf } = await import("../../lib/message/trace");
  const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  it("finds the parent in envelopes, queue bodies, headers and strings", () => {
    expect(traceFrom({ trace: { traceparent: tp } })).toBe(tp);
    expect(traceFrom({ message: { trace: { traceparent: tp } } })).toBe(tp);
    expect(traceFrom(new Headers({ traceparent: tp }))).toBe(tp);
    expect(traceFrom("garbage")).toBeNull();
    expect(traceFrom(undefined)).toBeNull();
  });
  it("opens a new span in the same trace, or a new trace", () => {
    const next = traceHeaders({ trace: { traceparent: tp } }).traceparent;
    expect(traceIdOf(next)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(next).not.toBe(tp);
    expect(traceIdOf(traceHeaders(null).traceparent)).toMatch(/^[0-9a-f]{32}$/);
  });
});

// The log's and the trace index's tables are the subject of the next two groups: they read and
// seed them with SQL on a real object's storage.
describe("message log storage", () => {
  /** A fresh agent object's SQLite, with the log table of the first layout put back in place. */
  async function inFirstLayout<T>(fn: (sql: SqlStorage) => T): Promise<T> {
    const stub = agentObjectStub(uniqueName("layout"));
    return runInDurableObject(stub, (_, state) => {
      const { sql } = state.storage;
      sql.exec("DROP TABLE message_log");
      sql.exec(`CREATE TABLE message_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, at TEXT NOT NULL, direction TEXT NOT NULL,
        "from" TEXT, "to" TEXT NOT NULL, role TEXT NOT NULL, pattern TEXT NOT NULL, outcome TEXT NOT NULL,
        duration_ms REAL, trace_id TEXT, request_id TEXT, preview TEXT, detail TEXT)`);
      sql.exec("CREATE INDEX message_log_trace ON message_log(trace_id)");
      for (const [id, trace] of [
        ["m1", "t1"],
        ["m2", "t2"],
        ["m3", "t1"],
      ]) {
        sql.exec(
          `INSERT INTO message_log (id, at, direction, "to", role, pattern, outcome, trace_id) VALUES (?, '2026-01-01T00:00:00.000Z', 'in', 'a', 'agent_call', 'invoke', 'ok', ?)`,
          id,
          trace,
        );
      }
      return fn(sql);
    });
  }

  it("brings a log of the first layout to one b-tree per row, keeping rows, seq and order", async () => {
    const after = await inFirstLayout((sql) => {
      const log = new MessageLog(sql);
      return {
        table: String(sql.exec("SELECT sql FROM sqlite_master WHERE name = 'message_log'").one().sql),
        indexes: sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'message_log%'").toArray(),
        leftovers: sql.exec("SELECT name FROM sqlite_master WHERE name = 'message_log_v1'").toArray(),
        recent: log.recent(10).map((r) => [r.seq, r.id, r.depth]),
        byTrace: log.byTrace("t1").map((r) => r.id),
      };
    });
    expect(after.table).not.toMatch(/AUTOINCREMENT/i);
    expect(after.indexes).toEqual([]);
    expect(after.leftovers).toEqual([]);
    expect(after.recent).toEqual([
      [3, "m3", null],
      [2, "m2", null],
      [1, "m1", null],
    ]);
    expect(after.byTrace).toEqual(["m1", "m3"]);
  });

  it("writes rows behind: buffered on append, all written by the next read, in order", async () => {
    const seen = await runInDurableObject(agentObjectStub(uniqueName("behind")), (_, state) => {
      const { sql } = state.storage;
      const stored = () => Number(sql.exec("SELECT COUNT(*) AS n FROM message_log").one().n);
      const log = new MessageLog(sql, 1000, 60_000);
      for (let i = 0; i < 3; i++) log.append(row({ id: `b${i}` }));
      const before = { stored: stored(), buffered: log.buffered };
      const read = log.recent(10).map((r) => r.id);
      return { before, read, after: { stored: stored(), buffered: log.buffered } };
    });
    expect(seen.before).toEqual({ stored: 0, buffered: 3 });
    expect(seen.read).toEqual(["b2", "b1", "b0"]);
    expect(seen.after).toEqual({ stored: 3, buffered: 0 });
  });

  it("writes a flush of many rows, several to a statement, each once, in order, with consecutive seq", async () => {
    const rows = await runInDurableObject(agentObjectStub(uniqueName("many")), (_, state) => {
      const log = new MessageLog(state.storage.sql, 1000, 60_000);
      for (let i = 0; i < 23; i++) log.append(row({ id: `r${i}`, depth: i }));
      return log.recent(30).map((r) => [r.id, r.depth, r.seq]);
    });
    expect(rows.map(([id, depth]) => [id, depth])).toEqual(Array.from({ length: 23 }, (_, k) => [`r${22 - k}`, 22 - k]));
    const seqs = rows.map(([, , seq]) => Number(seq));
    expect(seqs).toEqual(seqs.map((_, k) => (seqs[0] as number) - k));
  });

  it("writes buffered rows within flushMs with no reader, and at once when LOG_FLUSH_ROWS wait", async () => {
    const stub = agentObjectStub(uniqueName("flush"));
    const stored = (sql: SqlStorage) => Number(sql.exec("SELECT COUNT(*) AS n FROM message_log").one().n);
    const full = await runInDurableObject(stub, (_, state) => {
      const log = new MessageLog(state.storage.sql, 1000, 60_000);
      for (let i = 0; i < LOG_FLUSH_ROWS; i++) log.append(row({ id: `f${i}` }));
      return { stored: stored(state.storage.sql), buffered: log.buffered };
    });
    expect(full).toEqual({ stored: LOG_FLUSH_ROWS, buffered: 0 });
    const timed = await runInDurableObject(stub, async (_, state) => {
      const log = new MessageLog(state.storage.sql, 1000, 5);
      log.append(row({ id: "t0" }));
      const right = stored(state.storage.sql);
      // No read: only the timer can write it.
      const later = await eventually(async () => (stored(state.storage.sql) > right ? stored(state.storage.sql) : undefined), 5_000, "the timer's flush", 200);
      return { right, later };
    });
    expect(timed).toEqual({ right: LOG_FLUSH_ROWS, later: LOG_FLUSH_ROWS + 1 });
  });

  it("keeps seq growing after pruning, so newest-first order and paging hold", async () => {
    const seqs = await inFirstLayout((sql) => {
      const log = new MessageLog(sql, 2);
      for (let i = 0; i < 5; i++) log.append(row({ id: `n${i}` }));
      log.prune();
      return log.recent(10).map((r) => [r.seq, r.id]);
    });
    expect(seqs).toEqual([
      [8, "n4"],
      [7, "n3"],
    ]);
  });
});

describe("trace index storage", () => {
  it("notes a batch larger than one statement's chunk, once per trace and agent", async () => {
    const stub = env.TRACE.get(env.TRACE.idFromName(uniqueName("traces")));
    const counts = await runInDurableObject(stub, (_, state) => {
      const table = new TraceIndexTable(state.storage.sql);
      const at = "2026-01-01T00:00:00.000Z";
      const entries: Array<[string, string]> = Array.from({ length: 100 }, (_, i) => [`${String(i).padStart(32, "0")}`, at]);
      table.note("alpha", entries);
      // Repeats (an evicted agent announcing again) are ignored; another agent is its own row.
      table.note("alpha", entries.slice(0, 40));
      table.note("beta", entries.slice(95));
      return {
        rows: Number(state.storage.sql.exec("SELECT COUNT(*) AS n FROM trace_agents").one().n),
        last: table.sightings(String(99).padStart(32, "0")).map((s) => s.agent),
        first: table.sightings(String(0).padStart(32, "0")).map((s) => s.agent),
      };
    });
    expect(counts).toEqual({ rows: 105, last: ["alpha", "beta"], first: ["alpha"] });
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import type { LogRow } from "./message-log";
import type { AgentMetrics } from "./metrics";
import { MessageObserver } from "./observe";
import { observabilitySwitches } from "./switches";

function row(outcome: string): LogRow {
  return {
    id: "msg_1",
    at: new Date().toISOString(),
    direction: "in",
    from: null,
    to: "echo",
    role: "agent_call",
    pattern: "invoke",
    outcome,
    duration_ms: 1,
    trace_id: null,
    request_id: null,
    preview: null,
    detail: null,
  };
}

describe("MessageObserver JSON lines", () => {
  afterEach(() => vi.restoreAllMocks());

  it("by default (errors) writes lines for failures only; SWITCHBOARD_JSON_LOGS=all writes every message", () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error"] as const)
      vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(String(line)));
    const metrics = { message: () => {} } as unknown as AgentMetrics;
    const errorsOnly = new MessageObserver({ switches: observabilitySwitches({}), metrics, announce: () => {} });
    errorsOnly.observe("echo", row("ok"));
    errorsOnly.observe("echo", row("timeout"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"outcome":"timeout"');
    const every = new MessageObserver({ switches: observabilitySwitches({ SWITCHBOARD_JSON_LOGS: "all" }), metrics, announce: () => {} });
    every.observe("echo", row("ok"));
    expect(lines).toHaveLength(2);
  });
});

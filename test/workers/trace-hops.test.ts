/**
 * One trace id follows a flow through every kind of hop: map-reduce mappers and reducer, a chain,
 * and an observer event through the fan-out queue.
 */
import { describe, expect, it } from "vitest";
import { api, eventually } from "../support/api";

function newTrace(): { traceparent: string; traceId: string } {
  const traceId = crypto.randomUUID().replaceAll("-", "");
  return { traceparent: `00-${traceId}-${"ab".repeat(8)}-01`, traceId };
}

async function agentsOf(traceId: string, expected: string[]): Promise<string[]> {
  return eventually(
    async () => {
      const res = await api("GET", `/traces/${traceId}`);
      const agents: string[] = res.body.agents ?? [];
      return expected.every((a) => agents.includes(a)) ? agents : undefined;
    },
    15_000,
    `trace ${traceId} to list ${expected.join(", ")}`,
  );
}

describe("trace propagation", () => {
  it("follows map-reduce to every mapper and the reducer", async () => {
    const { traceparent, traceId } = newTrace();
    const res = await api("POST", "/patterns/map-reduce", {
      headers: { traceparent },
      body: { data: ["a b", "b c"], mappers: ["wordcount-map"], reducer: "wordcount-reduce" },
    });
    expect(res.status).toBe(200);
    expect(await agentsOf(traceId, ["wordcount-map", "wordcount-reduce"])).toHaveLength(2);
  });

  it("follows a chain through every agent it passes", async () => {
    const { traceparent, traceId } = newTrace();
    await api("POST", "/agents/triage/invoke", { headers: { traceparent }, body: { content: "crash", metadata: { type: "bug" } } });
    await agentsOf(traceId, ["triage", "billing", "tech-support"]);
  });

  it("follows an event through the fan-out queue to an agent observer", async () => {
    await api("POST", "/agents/billing/observers", { body: { observer: "auditor" } });
    const { traceparent, traceId } = newTrace();
    expect((await api("POST", "/agents/billing/events", { headers: { traceparent }, body: { event: "traced", data: {} } })).status).toBe(202);
    await agentsOf(traceId, ["billing", "auditor"]);
  });
});

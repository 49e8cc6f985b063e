/**
 * The README's tour (steps 2–7 and 9) against a real `wrangler dev`, over HTTP, as a user runs it
 * with curl.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { E2E_POLL, eventually } from "../support/poll";

let dev: DevServer;
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${dev.url}${path}`, {
    method,
    headers: admin,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("README tour against wrangler dev", () => {
  it("answers health without a key and 401 problem+json without one elsewhere", async () => {
    expect((await fetch(`${dev.url}/health`)).status).toBe(200);
    const res = await fetch(`${dev.url}/agents`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("2. lists the example agents and invokes echo", async () => {
    const list = await call("GET", "/agents");
    expect(list.body.agents.map((a: { name: string }) => a.name)).toEqual(
      expect.arrayContaining([
        "echo",
        "greeter",
        "planner",
        "summarizer",
        "triage",
        "billing",
        "tech-support",
        "wordcount-map",
        "wordcount-reduce",
        "auditor",
        "researcher",
        "fact-checker",
      ]),
    );
    expect((await call("GET", "/agents/echo")).body.status).toMatchObject({ breaker: "closed", in_flight: 0, paused: false });
    const echo = await call("POST", "/agents/echo/invoke", { content: "hello" });
    expect(echo.body).toMatchObject({ from: "echo", role: "reply", content: "hello", metadata: { handled_by: "echo", path: ["echo"] } });
  });

  it("3. planner calls summarizer; the log and the trace show the hop", async () => {
    const plan = await call("POST", "/agents/planner/invoke", { content: "Write it. Test it." });
    expect(plan.body.content.steps).toEqual(["1. Write it.", "2. Test it."]);
    const log = await call("GET", "/agents/planner/log?limit=5");
    expect(log.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ direction: "out", to: "summarizer", outcome: "ok" })]));
    const traceId = plan.body.trace.traceparent.split("-")[1];
    const trace = await eventually(
      async () => {
        const t = await call("GET", `/traces/${traceId}`);
        return t.body.agents?.length === 2 ? t.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    expect(trace.agents.sort()).toEqual(["planner", "summarizer"]);
  });

  it("4. a chain routes a request to the agent that handles its type", async () => {
    const res = await call("POST", "/agents/triage/invoke", { content: "the app crashes", metadata: { type: "bug" } });
    expect(res.body.metadata).toMatchObject({ handled_by: "tech-support", path: ["triage", "billing", "tech-support"] });
  });

  it("5. map-reduce fans out over the mappers and reduces their JSON", async () => {
    const res = await call("POST", "/patterns/map-reduce", {
      data: ["the cat sat", "the dog ran", "a cat ran"],
      mappers: ["wordcount-map", "wordcount-map"],
      reducer: "wordcount-reduce",
    });
    expect(res.status).toBe(200);
    expect(res.body.chunks).toBe(2);
    expect(res.body.result.content.counts).toMatchObject({ cat: 2, ran: 2, the: 2 });
  });

  it("6. an observer event fans out through the queue", async () => {
    expect([200, 201]).toContain((await call("POST", "/agents/billing/observers", { observer: "auditor" })).status);
    const emitted = await call("POST", "/agents/billing/events", { event: "invoice.paid", data: { invoice: 7 } });
    expect(emitted.status).toBe(202);
    const row = await eventually(
      async () => {
        const log = await call("GET", "/agents/auditor/log?limit=20");
        return log.body.entries.find((e: { from: string; pattern: string }) => e.from === "billing" && e.pattern === "fanout");
      },
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    expect(row).toMatchObject({ role: "event", outcome: "ok" });
  });

  it("7. async messages and request-reply", async () => {
    const sent = await call("POST", "/agents/summarizer/messages", { content: "Queues decouple agents." });
    expect(sent.status).toBe(202);
    const state = await eventually(
      async () => {
        const r = await call("GET", sent.body.status_url);
        return r.body.status === "replied" ? r.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    expect(state.reply.content).toEqual({ summary: "Queues decouple agents.", words: 3 });
    const research = await call("POST", "/agents/researcher/invoke", { content: { claim: "According to the source, 42 agents replied." } });
    expect(research.body.content).toMatchObject({ handshake: "accepted", verification: { verdict: "supported" } });
  });

  it("9. errors are problem+json with a stable code", async () => {
    const missing = await call("POST", "/agents/nobody/invoke", { content: 1 });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: "agent_not_found", status: 404, title: "Agent not found" });
    const bad = await call("POST", "/agents/echo/invoke", "{nope");
    expect(bad.body.code).toBe("invalid_request");
  });
});

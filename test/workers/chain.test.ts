import { describe, expect, it } from "vitest";
import { api, testServer, uniqueName } from "../support/api";

const ask = (head: string, type: string | undefined, content: unknown = "help") =>
  api("POST", `/agents/${head}/invoke`, { body: { content, ...(type ? { metadata: { type } } : {}) } });

describe("chain of responsibility: triage → billing → tech-support (code agents)", () => {
  it("routes to the first handler", async () => {
    const res = await ask("triage", "general");
    expect(res.status).toBe(200);
    expect(res.body.content.team).toBe("triage");
    expect(res.body.metadata).toMatchObject({ handled_by: "triage", path: ["triage"] });
  });

  it("routes to the middle handler", async () => {
    const res = await ask("triage", "refund", "charged twice");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: "billing", content: { team: "billing" } });
    expect(res.body.metadata).toMatchObject({ handled_by: "billing", path: ["triage", "billing"] });
  });

  it("routes to the last handler, each hop logged", async () => {
    const res = await ask("triage", "bug", "it crashes");
    expect(res.status).toBe(200);
    expect(res.body.metadata).toMatchObject({ handled_by: "tech-support", path: ["triage", "billing", "tech-support"] });
    const billingLog = (await api("GET", "/agents/billing/log?limit=20")).body.entries;
    expect(billingLog.some((e: any) => e.outcome === "forwarded" && e.detail === "→ tech-support")).toBe(true);
    const techLog = (await api("GET", "/agents/tech-support/log?limit=20")).body.entries;
    expect(techLog.some((e: any) => e.pattern === "chain" && e.outcome === "ok")).toBe(true);
  });

  it("answers 422 no_handler when no agent handles the type", async () => {
    const res = await ask("triage", "legal");
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("no_handler");
    expect(res.body.detail).toContain("legal");
  });

  it("lets the head handle a message without a type", async () => {
    const res = await ask("triage", undefined);
    expect(res.body.metadata.handled_by).toBe("triage");
  });

  it("may start in the middle of the chain", async () => {
    const res = await ask("billing", "technical");
    expect(res.body.metadata).toMatchObject({ handled_by: "tech-support", path: ["billing", "tech-support"] });
  });
});

describe("chains configured through the registry", () => {
  it("walks a chain of remote agents on the loopback server", async () => {
    const [a, b, c] = [uniqueName("ch-a"), uniqueName("ch-b"), uniqueName("ch-c")];
    expect((await api("PUT", `/agents/${c}`, { body: { url: `${testServer()}/ok/${c}`, handles: ["gamma"] } })).status).toBe(200);
    expect((await api("PUT", `/agents/${b}`, { body: { url: `${testServer()}/ok/${b}`, handles: ["beta"], next: c } })).status).toBe(200);
    expect((await api("PUT", `/agents/${a}`, { body: { url: `${testServer()}/ok/${a}`, handles: ["alpha"], next: b } })).status).toBe(200);
    const res = await ask(a, "gamma", "to the end");
    expect(res.status).toBe(200);
    expect(res.body.content).toEqual({ echoed: "to the end", calls: 1 });
    expect(res.body.metadata).toMatchObject({ handled_by: c, path: [a, b, c], server: "test" });
    // Only the handler's endpoint was called; the others forwarded without running.
    const calls = async (name: string) => ((await (await fetch(`${testServer()}/_calls/${name}`)).json()) as unknown[]).length;
    expect([await calls(a), await calls(b), await calls(c)]).toEqual([0, 0, 1]);
    const middle = await ask(a, "beta");
    expect(middle.body.metadata).toMatchObject({ handled_by: b, path: [a, b] });
    expect((await ask(a, "delta")).status).toBe(422);
  });

  it("detects a loop configured with PUT …next (508 loop_detected)", async () => {
    const [a, b] = [uniqueName("loop-a"), uniqueName("loop-b")];
    await api("PUT", `/agents/${a}`, { body: { url: `${testServer()}/ok/${a}`, handles: ["x"], next: b } });
    await api("PUT", `/agents/${b}`, { body: { url: `${testServer()}/ok/${b}`, handles: ["y"], next: a } });
    expect((await ask(a, "y")).body.metadata.handled_by).toBe(b);
    const res = await ask(a, "z");
    expect(res.status).toBe(508);
    expect(res.body.code).toBe("loop_detected");
    expect(res.body.detail).toContain(`${a} → ${b} → ${a}`);
  });
});

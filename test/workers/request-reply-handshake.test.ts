import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentRef } from "../../lib/agents/agent-ref";
import { makeEnvelope } from "../../lib/message/call";
import { agentObjectStub, pendingStatus, seedPendingRequest } from "../support/agent-storage";
import { api, eventually, testServer, uniqueName } from "../support/api";

describe("handshake", () => {
  it("accepts a matching major version with the required capabilities, recorded on both entries", async () => {
    const res = await api("POST", "/agents/fact-checker/handshake", { as: "planner", body: { version: "2.4.0", capabilities: ["research", "plan"] } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ protocol: "handshake", status: "accepted", version: "2.1.0", capabilities: ["verify"] });
    const target = await api("GET", "/agents/fact-checker");
    expect(target.body.peers).toEqual(
      expect.arrayContaining([expect.objectContaining({ agent: "planner", direction: "inbound", status: "accepted", version: "2.4.0" })]),
    );
    const caller = await api("GET", "/agents/planner");
    expect(caller.body.peers).toEqual(
      expect.arrayContaining([expect.objectContaining({ agent: "fact-checker", direction: "outbound", status: "accepted", version: "2.1.0" })]),
    );
  });

  it("rejects a different major version, with a reason", async () => {
    const res = await api("POST", "/agents/fact-checker/handshake", { body: { from: "echo", version: "1.9.0", capabilities: ["research"] } });
    expect(res.body).toMatchObject({ status: "rejected", reason: expect.stringContaining("major version 1") });
  });

  it("rejects a caller missing a required capability", async () => {
    const res = await api("POST", "/agents/fact-checker/handshake", { body: { from: "echo", version: "2.0.0", capabilities: ["plan"] } });
    expect(res.body).toMatchObject({ status: "rejected", reason: "missing required capabilities: research" });
  });

  it("rejects a caller the target's ACL does not allow", async () => {
    const name = uniqueName("private");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: ["summarizer"] } } });
    const res = await api("POST", `/agents/${name}/handshake`, { as: "planner", body: { version: "1.0.0", capabilities: [] } });
    expect(res.body).toMatchObject({ status: "rejected", reason: expect.stringContaining("acl") });
  });

  it("gates a require_handshake agent until the caller's handshake is accepted", async () => {
    const name = uniqueName("gated");
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/ok/${name}`, require_handshake: true, version: "3.0.0", requires: ["billing"] },
    });
    const before = await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: "hi" } });
    expect(before.status).toBe(409);
    expect(before.body.code).toBe("handshake_required");
    const queued = await api("POST", `/agents/${name}/messages`, { as: "summarizer", body: { content: "hi" } });
    expect(queued.status).toBe(409);
    const rejected = await api("POST", `/agents/${name}/handshake`, { as: "summarizer", body: { version: "3.1.0", capabilities: [] } });
    expect(rejected.body.status).toBe("rejected");
    expect((await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: "hi" } })).status).toBe(409);
    const accepted = await api("POST", `/agents/${name}/handshake`, { as: "summarizer", body: { version: "3.1.0", capabilities: ["billing"] } });
    expect(accepted.body.status).toBe("accepted");
    expect((await api("POST", `/agents/${name}/invoke`, { as: "summarizer", body: { content: "hi" } })).status).toBe(200);
    // Admin acts for no agent and is not gated.
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } })).status).toBe(200);
  });

  it("lets an agent key shake hands only as itself, and requires `from` from admin", async () => {
    const spoof = await api("POST", "/agents/fact-checker/handshake", {
      as: "planner",
      body: { from: "researcher", version: "2.0.0", capabilities: ["research"] },
    });
    expect(spoof.status).toBe(403);
    const anonymous = await api("POST", "/agents/fact-checker/handshake", { body: { version: "2.0.0", capabilities: [] } });
    expect(anonymous.status).toBe(400);
    const bad = await api("POST", "/agents/fact-checker/handshake", { body: { from: "echo", version: "two", capabilities: [] } });
    expect(bad.status).toBe(400);
  });
});

describe("request-reply from agent code", () => {
  it("handshakes, sends a request over the queue and gets the reply in time", async () => {
    const res = await api("POST", "/agents/researcher/invoke", {
      body: { content: { claim: "According to the source, 42 agents replied." }, timeout_ms: 20_000 },
    });
    expect(res.status).toBe(200);
    expect(res.body.content).toMatchObject({ handshake: "accepted", verification: { verdict: "supported", request_type: "verify" } });
    const requestId = res.body.content.request_id;
    expect(requestId).toMatch(/^req_fact-checker_/);
    const log = await api("GET", "/agents/researcher/log?limit=20");
    expect(log.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ request_id: requestId, role: "reply", outcome: "ok" })]));
  });

  it("times out when no reply comes before the deadline", async () => {
    const name = uniqueName("silent");
    // Every attempt fails and retries are far apart: no reply can come within the deadline.
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/status/503/${name}`, version: "2.0.0", limits: { retry_delay_ms: 600_000 } },
    });
    const res = await api("POST", "/agents/researcher/invoke", { body: { content: { claim: "x", checker: name, timeout_ms: 1500 } } });
    expect(res.status).toBe(504);
    expect(res.body.code).toBe("timeout");
  });

  it("marks a pending reply timed out by alarm after eviction, and drops a late reply", async () => {
    const stub = agentObjectStub("planner");
    const requestId = `req_echo_${"0".repeat(9)}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await seedPendingRequest("planner", requestId, "echo", Date.now() + 10);
    await evictDurableObject(stub);
    const statusOf = () => pendingStatus("planner", requestId);
    // The alarm may already have fired on its own after eviction; run it until the deadline is applied.
    const status = await eventually(
      async () => {
        await runDurableObjectAlarm(stub);
        const s = await statusOf();
        return s === "timed_out" ? s : undefined;
      },
      5000,
      "the alarm to time the request out",
    );
    expect(status).toBe("timed_out");
    const late = makeEnvelope({ from: "echo", to: "planner", role: "reply", content: "too late", metadata: { in_reply_to: requestId } });
    const planner = agentRef(env, "planner").queue;
    expect(await planner.receiveReply(late)).toBe("late");
    expect(await planner.receiveReply(late)).toBe("late");
    const log = await api("GET", "/agents/planner/log?limit=10");
    const rows = log.body.entries.filter((e: { request_id: string }) => e.request_id === requestId);
    expect(rows.map((r: { outcome: string }) => r.outcome).sort()).toEqual(["late", "late", "timed_out"]);
  });

  it("applies a reply once and reports duplicates", async () => {
    const requestId = `req_echo_${"1".repeat(9)}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await seedPendingRequest("planner", requestId, "echo", Date.now() + 60_000);
    const reply = makeEnvelope({ from: "echo", to: "planner", role: "reply", content: "on time", metadata: { in_reply_to: requestId } });
    const planner = agentRef(env, "planner").queue;
    expect(await planner.receiveReply(reply)).toBe("applied");
    expect(await planner.receiveReply(reply)).toBe("duplicate");
  });
});

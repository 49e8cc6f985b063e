/**
 * Per-key flow control and pause of async deliveries, through the real queue and alarms: each
 * key's concurrency and rate hold, another key keeps flowing past a hot one, held messages stay
 * pending without spending attempts, and a paused agent releases its messages in order.
 */
import { describe, expect, it } from "vitest";
import { runDurableObjectAlarm } from "cloudflare:test";
import { agentObjectStub, requestOutbox, sweepLeasesNow } from "../support/agent-storage";
import { api, eventually, sendAsTenant, settled, tenantStats, testServer, uniqueName } from "../support/api";

/** A remote agent whose every call takes `ms` and is counted per metadata.tenant. */
async function tenantAgent(flow: Record<string, unknown> | undefined, ms: number): Promise<string> {
  const name = uniqueName("flow");
  const res = await api("PUT", `/agents/${name}`, {
    body: { kind: "http", url: `${testServer()}/tenants/${ms}/${name}`, limits: { max_concurrency: 50, retry_delay_ms: 0 }, ...(flow ? { flow } : {}) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return name;
}

describe("per-key flow control", () => {
  it("never runs more than a key's concurrency, while a fourth key's messages keep flowing", async () => {
    const name = await tenantAgent({ key: "metadata.tenant", concurrency: 2 }, 50);
    const hot: Record<string, string[]> = {};
    for (const tenant of ["a", "b", "c"]) hot[tenant] = await sendAsTenant(name, tenant, 20);
    // Behind a backlog, a message is pending and has spent no attempt.
    const waiting = await api("GET", `/requests/${hot.c?.[19]}`);
    expect(waiting.body).toMatchObject({ status: "pending", attempts: 0 });
    const cold = await sendAsTenant(name, "d", 3);

    const states = await Promise.all([...Object.values(hot).flat(), ...cold].map((id) => settled(id, ["replied", "failed", "dead_lettered"], 60_000)));
    // Held messages were delayed, not failed, and spent no retries.
    expect(states.map((s) => [s.status, s.attempts])).toEqual(states.map(() => ["replied", 1]));
    const stats = await tenantStats(name);
    for (const tenant of ["a", "b", "c"]) {
      expect(stats[tenant]?.max_in_flight, tenant).toBe(2);
      expect(stats[tenant]?.starts).toHaveLength(20);
    }
    // d arrived behind 60 messages, yet was done long before the hot keys drained theirs.
    const dDone = Math.max(...(stats.d?.ends ?? []));
    for (const tenant of ["a", "b", "c"]) expect(dDone).toBeLessThan(Math.max(...(stats[tenant]?.ends ?? [])));
    expect(stats.d?.max_in_flight).toBeLessThanOrEqual(2);
  }, 90_000);

  it("starts at most a key's rate in any window: a burst up to the limit, the rest a period later", async () => {
    const name = await tenantAgent({ key: "metadata.tenant", rate: { limit: 4, period_ms: 1000 } }, 1);
    const before = Date.now();
    const ids = [...(await sendAsTenant(name, "a", 8)), ...(await sendAsTenant(name, "b", 2))];
    const states = await Promise.all(ids.map((id) => settled(id, ["replied"], 30_000)));
    expect(states.every((s) => s.attempts === 1)).toBe(true);
    const stats = await tenantStats(name);
    const starts = stats.a?.starts ?? [];
    expect(starts).toHaveLength(8);
    // Released when the window has room, so the second four cannot start within a period of the first.
    expect(starts.filter((t) => t < before + 1000).length).toBeLessThanOrEqual(4);
    expect(Math.max(...starts)).toBeGreaterThanOrEqual(before + 1000);
    // b's window is its own: its two went in the first burst.
    expect(stats.b?.starts.filter((t) => t < before + 1000 + 1000)).toHaveLength(2);
  });

  it("refuses a flow that is not a string path or has limits out of range, naming the field, and stores nothing", async () => {
    const name = uniqueName("badflow");
    const cases: Array<[unknown, RegExp]> = [
      [{ key: "tenant", concurrency: 1 }, /flow\.key: key must be a path such as "metadata\.tenant"/],
      [{ key: "metadata", concurrency: 1 }, /flow\.key/],
      [{ key: "metadata.a b", concurrency: 1 }, /flow\.key/],
      [{ key: 42, concurrency: 1 }, /flow\.key/],
      [{ key: "metadata.tenant", concurrency: 0 }, /flow\.concurrency/],
      [{ rate: { limit: 0, period_ms: 1000 } }, /flow\.rate\.limit/],
      [{ rate: { limit: 10, period_ms: 5 } }, /flow\.rate\.period_ms/],
      [{ key: "metadata.tenant" }, /flow: flow needs concurrency, rate or debounce_ms/],
      [{ concurrency: 2, burst: 3 }, /flow/],
    ];
    for (const [flow, detail] of cases) {
      const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, flow } });
      expect(res.status, JSON.stringify(flow)).toBe(400);
      expect(res.body.detail).toMatch(detail);
    }
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
  });
});

describe("debounce", () => {
  it("delivers only the last message of a key in its window; the earlier ones end superseded", async () => {
    const name = await tenantAgent({ key: "metadata.tenant", debounce_ms: 800 }, 1);
    const x = await sendAsTenant(name, "x", 3);
    const [y] = await sendAsTenant(name, "y", 1);
    const first = await api("GET", `/requests/${x[0]}`);
    expect(first.body).toMatchObject({ status: "superseded", attempts: 0, error: { code: "superseded" } });
    const last = await api("GET", `/requests/${x[2]}`);
    expect(last.body.status).toBe("scheduled");
    // The window opened with the first message and does not move with later ones.
    expect(Date.parse(last.body.deliver_at) - Date.parse(first.body.created_at)).toBeLessThanOrEqual(800);

    const delivered = await settled(x[2] as string, ["replied"]);
    expect(delivered.reply.content).toEqual({ tenant: "x", echoed: { tenant: "x", i: 2 } });
    expect((await settled(y as string, ["replied"])).attempts).toBe(1);
    expect((await api("GET", `/requests/${x[1]}`)).body.status).toBe("superseded");
    // Once the window closed, the next message opens a new one and is delivered in its turn.
    const [again] = await sendAsTenant(name, "x", 1);
    await settled(again as string, ["replied"]);
    const stats = await tenantStats(name);
    expect([stats.x?.starts.length, stats.y?.starts.length]).toEqual([2, 1]);
  });
});

describe("pause and resume", () => {
  it("holds every delivery as pending while paused, then releases them in the order they came", async () => {
    const name = await tenantAgent({ concurrency: 1 }, 1);
    expect((await api("POST", `/agents/${name}/pause`)).body).toEqual({ agent: name, paused: true, held: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await api("POST", `/agents/${name}/messages`, { body: { content: i, metadata: { tenant: "t" } } })).body.request_id);
    const status = await eventually(async () => {
      const res = await api("GET", `/agents/${name}`);
      return res.body.status.held === 6 ? res.body.status : undefined;
    });
    expect(status).toMatchObject({ paused: true, held: 6 });
    // The metrics the dashboard reads say so too.
    expect((await api("GET", `/agents/${name}/metrics`)).body.deliveries).toMatchObject({ paused: true, held: 6, scheduled: 0 });
    for (const id of ids) expect((await api("GET", `/requests/${id}`)).body).toMatchObject({ status: "pending", attempts: 0 });
    // Held, so no lease: the alarm that re-enqueues overdue requests leaves them where they are.
    for (const id of ids) expect(await requestOutbox(name, id)).toMatchObject({ status: "pending", lease_until: null, swept_ever: false });
    await sweepLeasesNow(name);
    await runDurableObjectAlarm(agentObjectStub(name));
    expect(await tenantStats(name)).toEqual({});

    const resumed = await api("POST", `/agents/${name}/resume`);
    expect(resumed.body).toMatchObject({ agent: name, paused: false });
    const done = await Promise.all(ids.map((id) => settled(id, ["replied"])));
    expect(done.map((d) => d.reply.content.echoed)).toEqual([0, 1, 2, 3, 4, 5]);
    // One at a time (concurrency 1), so the order they ran in is the order of their replies.
    const order = done.map((d) => Date.parse(d.updated_at));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect((await api("GET", `/agents/${name}`)).body.status).toMatchObject({ paused: false, held: 0 });
  });

  it("cancels a held message: it is never delivered after resume", async () => {
    const name = await tenantAgent(undefined, 1);
    await api("POST", `/agents/${name}/pause`);
    const [held] = await sendAsTenant(name, "t", 1);
    await eventually(async () => ((await api("GET", `/agents/${name}`)).body.status.held === 1 ? true : undefined));
    expect((await api("DELETE", `/requests/${held}`)).body.status).toBe("cancelled");
    const [after] = await sendAsTenant(name, "t", 1);
    await api("POST", `/agents/${name}/resume`);
    await settled(after as string, ["replied"]);
    expect((await tenantStats(name)).t?.starts).toHaveLength(1);
    expect((await api("GET", `/requests/${held}`)).body.status).toBe("cancelled");
  });

  it("is for admin only, and 404 for an unknown agent", async () => {
    expect((await api("POST", "/agents/echo/pause", { as: "planner" })).status).toBe(403);
    expect((await api("POST", "/agents/no-such-agent-q/resume")).status).toBe(404);
  });
});

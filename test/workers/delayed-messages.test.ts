/**
 * Delayed messages (`deliver_at`, `delay_ms`): held in the agent's object as `scheduled`, enqueued
 * by the object's alarm when due, whatever became of the object meanwhile, and delivered once.
 */
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, received, settled, testServer, uniqueName } from "../support/api";
import { agentObjectStub, requestOutbox, runDeadlineNow, sweepLeasesNow } from "../support/agent-storage";

const DAY_MS = 24 * 60 * 60 * 1000;

async function remoteAgent(): Promise<string> {
  const name = uniqueName("later");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
  expect(res.status).toBe(200);
  return name;
}

describe("delayed messages", () => {
  it("holds a message until deliver_at, through eviction, and delivers it once", async () => {
    const name = await remoteAgent();
    const deliverAt = new Date(Date.now() + 1500).toISOString();
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "later", deliver_at: deliverAt } });
    expect(res.status).toBe(202);
    const id = res.body.request_id;
    const state = await api("GET", `/requests/${id}`);
    expect(state.body).toMatchObject({ status: "scheduled", attempts: 0, deliver_at: deliverAt });
    expect(await received(name)).toHaveLength(0);

    await evictDurableObject(agentObjectStub(name));
    // The object's own alarm, set for deliver_at, brings it back and releases the message.
    const done = await settled(id, ["replied"], 20_000);
    expect(done).toMatchObject({ status: "replied", attempts: 1, reply: { content: { echoed: "later" } } });
    expect(Date.parse(done.updated_at)).toBeGreaterThanOrEqual(Date.parse(deliverAt));

    // An alarm that runs again finds nothing due: the handler ran once.
    await runDurableObjectAlarm(agentObjectStub(name));
    expect(await received(name)).toHaveLength(1);
  });

  it("takes delay_ms as a time from now, and a long delay stays scheduled across eviction", async () => {
    const name = await remoteAgent();
    const before = Date.now();
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "tomorrow", delay_ms: DAY_MS } });
    expect(res.status).toBe(202);
    await evictDurableObject(agentObjectStub(name));
    // No queue message and no lease: an overdue-lease sweep does not start it early.
    expect(await requestOutbox(name, res.body.request_id)).toMatchObject({ status: "scheduled", lease_until: null, swept_ever: false });
    await sweepLeasesNow(name);
    await runDurableObjectAlarm(agentObjectStub(name));
    const state = await api("GET", `/requests/${res.body.request_id}`);
    expect(state.body.status).toBe("scheduled");
    const at = Date.parse(state.body.deliver_at);
    expect(at).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(at).toBeLessThanOrEqual(Date.now() + DAY_MS);
    expect(await received(name)).toHaveLength(0);

    // Far beyond the queue's 12 h delay: a time 364 days ahead is held too.
    const far = new Date(before + 364 * DAY_MS).toISOString();
    const held = await api("POST", `/agents/${name}/messages`, { body: { content: "next year", deliver_at: far } });
    expect(held.status).toBe(202);
    expect((await api("GET", `/requests/${held.body.request_id}`)).body).toMatchObject({ status: "scheduled", deliver_at: far });
  });

  it("cancels a scheduled message with DELETE /requests/:id: it never runs, even when its time comes", async () => {
    const name = await remoteAgent();
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "never", delay_ms: 1000 } });
    const id = res.body.request_id;
    const cancelled = await api("DELETE", `/requests/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", attempts: 0, error: { code: "cancelled" } });
    expect(cancelled.body.deliver_at).toBeUndefined();
    // Its time passes and the alarm runs: nothing is released.
    await runDeadlineNow(name, "scheduled");
    expect((await api("GET", `/requests/${id}`)).body.status).toBe("cancelled");
    expect(await received(name)).toHaveLength(0);
    expect((await api("DELETE", `/requests/${id}`)).status).toBe(200);
  });

  it("delivers at once with delay_ms 0", async () => {
    const name = await remoteAgent();
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: "now", delay_ms: 0 } });
    expect((await settled(res.body.request_id)).status).toBe("replied");
  });

  it("refuses a time in the past, beyond a year, malformed, or both fields, naming the field", async () => {
    const name = await remoteAgent();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ deliver_at: new Date(Date.now() - 60_000).toISOString() }, /deliver_at: .* is in the past/],
      [{ deliver_at: new Date(Date.now() + 366 * DAY_MS).toISOString() }, /deliver_at: at most 365 days ahead/],
      [{ deliver_at: "tomorrow at nine" }, /deliver_at: deliver_at must be an RFC 3339 date-time/],
      [{ deliver_at: "2030-01-01T09:00:00" }, /deliver_at/],
      [{ delay_ms: 366 * DAY_MS }, /delay_ms/],
      [{ delay_ms: -1 }, /delay_ms/],
      [{ delay_ms: 1000, deliver_at: new Date(Date.now() + 60_000).toISOString() }, /deliver_at, delay_ms: give one/],
    ];
    for (const [fields, detail] of cases) {
      const res = await api("POST", `/agents/${name}/messages`, { body: { content: "x", ...fields } });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body.code).toBe("invalid_request");
      expect(res.body.detail).toMatch(detail);
    }
    const log = await api("GET", `/agents/${name}/log`);
    expect(log.body.entries).toEqual([]);
  });
});

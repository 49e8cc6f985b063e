/**
 * Recurring schedules in the agent's object: created, listed, paused and deleted over HTTP; fired
 * by the object's real alarm as ordinary async messages; never twice for one due time; missed
 * firings after a restart or a pause follow the schedule's catch_up.
 */
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentObjectStub, rewindSchedule } from "../support/agent-storage";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function remoteAgent(extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName("cron");
  const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, ...extra } });
  expect(res.status).toBe(200);
  return name;
}

/** The firings the agent received: their envelopes' metadata, in arrival order. */
async function firings(name: string): Promise<Array<Record<string, string>>> {
  return (await received(name)).map((call) => JSON.parse(call.body).metadata);
}

/**
 * A daily cron at an hour two hours back, so its latest due time (`latest`) is always more than
 * GRACE_MS late and no minute boundary can move it while a test runs.
 */
async function dailySchedule(name: string, body: Record<string, unknown>): Promise<{ id: string; latest: number; next_at: string }> {
  const hour = (new Date().getUTCHours() + 22) % 24;
  const created = await api("POST", `/agents/${name}/schedules`, { body: { cron: `0 ${hour} * * *`, ...body } });
  expect(created.status).toBe(201);
  return { id: created.body.id, latest: Date.parse(created.body.next_at) - DAY, next_at: created.body.next_at };
}

describe("schedules", () => {
  it("creates a cron schedule in a time zone with its next firing, and lists, pauses, resumes and deletes it", async () => {
    const name = await remoteAgent();
    const before = Date.now();
    const created = await api("POST", `/agents/${name}/schedules`, { body: { cron: "0 9 * * *", timezone: "Asia/Tokyo", content: { report: "daily" } } });
    expect(created.status).toBe(201);
    const schedule = created.body;
    expect(schedule).toMatchObject({
      id: expect.stringMatching(/^sch_/),
      agent: name,
      cron: "0 9 * * *",
      timezone: "Asia/Tokyo",
      catch_up: "one",
      paused: false,
      fired: 0,
    });
    expect(created.headers.get("location")).toBe(`/agents/${name}/schedules/${schedule.id}`);
    // 09:00 in Tokyo is 00:00 UTC, the next one within a day.
    expect(schedule.next_at).toMatch(/T00:00:00\.000Z$/);
    expect(Date.parse(schedule.next_at) - before).toBeLessThanOrEqual(DAY);

    const list = await api("GET", `/agents/${name}/schedules`);
    expect(list.body.schedules.map((s: { id: string }) => s.id)).toEqual([schedule.id]);
    expect((await api("POST", `/agents/${name}/schedules/${schedule.id}/pause`)).body).toMatchObject({ paused: true });
    expect((await api("GET", `/agents/${name}/schedules/${schedule.id}`)).body.paused).toBe(true);
    expect((await api("POST", `/agents/${name}/schedules/${schedule.id}/resume`)).body).toMatchObject({ paused: false, next_at: schedule.next_at });
    expect((await api("DELETE", `/agents/${name}/schedules/${schedule.id}`)).status).toBe(204);
    expect((await api("GET", `/agents/${name}/schedules/${schedule.id}`)).body.code).toBe("schedule_not_found");
  });

  it("fires an every_ms schedule by the object's own alarm, each firing an async message at its due time", async () => {
    const name = await remoteAgent();
    const created = await api("POST", `/agents/${name}/schedules`, { body: { every_ms: 1000, content: "tick" } });
    expect(created.status).toBe(201);
    const first = Date.parse(created.body.next_at);
    const seen = await eventually(async () => {
      const metas = await firings(name);
      return metas.length >= 2 ? metas : undefined;
    });
    await api("POST", `/agents/${name}/schedules/${created.body.id}/pause`);
    expect(seen[0]).toMatchObject({ schedule_id: created.body.id, scheduled_for: new Date(first).toISOString() });
    expect(seen[1]?.scheduled_for).toBe(new Date(first + 1000).toISOString());
    // Each firing is an ordinary request of the agent, replied like any other.
    expect((await settled(seen[0]?.request_id as string)).status).toBe("replied");
    const state = (await api("GET", `/agents/${name}/schedules/${created.body.id}`)).body;
    expect(state.fired).toBeGreaterThanOrEqual(2);
    expect(state.last_fired_at).not.toBeNull();
  });

  it("fires a missed firing once when its alarm runs late, and never again when the alarm repeats", async () => {
    const name = await remoteAgent();
    const { id, latest, next_at } = await dailySchedule(name, { content: "daily" });
    // The object was away for three days: the default catch_up fires the latest due time, once.
    await rewindSchedule(name, id, latest - 3 * DAY);
    await runDurableObjectAlarm(agentObjectStub(name));
    const fired = await eventually(async () => ((await firings(name)).length >= 1 ? firings(name) : undefined));
    expect(fired.map((m) => m.scheduled_for)).toEqual([new Date(latest).toISOString()]);
    const state = (await api("GET", `/agents/${name}/schedules/${id}`)).body;
    expect(state).toMatchObject({ fired: 1, skipped: 3, last_fired_at: new Date(latest).toISOString(), next_at });

    // A crash after sending, before moving on: the same due time comes round again.
    await rewindSchedule(name, id, latest);
    await runDurableObjectAlarm(agentObjectStub(name));
    await runDurableObjectAlarm(agentObjectStub(name));
    await settled(fired[0]?.request_id as string);
    expect((await firings(name)).map((m) => m.scheduled_for)).toEqual([new Date(latest).toISOString()]);
    expect((await api("GET", `/agents/${name}/log`)).body.entries.filter((e: { direction: string }) => e.direction === "in")).toHaveLength(1);
  });

  // The object stops two days before the latest due time, then comes back with no instance in memory.
  it.each([
    ["none", [], 3],
    ["one", [0], 2],
    ["all", [-2 * DAY, -DAY, 0], 0],
  ] as const)("after a restart, catch_up %s fires what its policy says, once however often the alarm runs", async (catchUp, offsets, skipped) => {
    const name = await remoteAgent();
    const { id, latest, next_at } = await dailySchedule(name, { content: catchUp, catch_up: catchUp });
    await rewindSchedule(name, id, latest - 2 * DAY);
    await evictDurableObject(agentObjectStub(name));
    await runDurableObjectAlarm(agentObjectStub(name));
    await runDurableObjectAlarm(agentObjectStub(name));

    const state = (await api("GET", `/agents/${name}/schedules/${id}`)).body;
    expect(state).toMatchObject({ fired: offsets.length, skipped, next_at });
    const expected = offsets.map((o) => new Date(latest + o).toISOString());
    const times = await eventually(async () => {
      const metas = await firings(name);
      return metas.length >= offsets.length ? metas.map((m) => m.scheduled_for).sort() : undefined;
    });
    expect(times).toEqual(expected);
    for (const meta of await firings(name)) expect((await settled(meta.request_id as string)).status).toBe("replied");
    expect(await firings(name)).toHaveLength(offsets.length);
  });

  it("does not fire while the agent is paused, and catches up once when it resumes", async () => {
    const name = await remoteAgent();
    const { id, latest } = await dailySchedule(name, { content: "held" });
    expect((await api("POST", `/agents/${name}/pause`)).status).toBe(200);
    await rewindSchedule(name, id, latest - 2 * DAY);
    await runDurableObjectAlarm(agentObjectStub(name));
    expect((await api("GET", `/agents/${name}/schedules/${id}`)).body).toMatchObject({ fired: 0, skipped: 0 });

    await api("POST", `/agents/${name}/resume`);
    const fired = await eventually(async () => ((await firings(name)).length >= 1 ? firings(name) : undefined));
    expect(fired.map((m) => m.scheduled_for)).toEqual([new Date(latest).toISOString()]);
    expect((await api("GET", `/agents/${name}/schedules/${id}`)).body).toMatchObject({ fired: 1, skipped: 2 });
  });

  it("goes with its agent: once the agent is deleted nothing fires, and a new agent of that name starts with none", async () => {
    const name = await remoteAgent();
    await dailySchedule(name, { content: "orphan" });
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(204);
    await runDurableObjectAlarm(agentObjectStub(name));
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } })).status).toBe(200);
    expect((await api("GET", `/agents/${name}/schedules`)).body.schedules).toEqual([]);
    expect(await received(name)).toEqual([]);
  });

  it("lets only keys the agent's ACL allows create one, and shows a sender only its own", async () => {
    const name = await remoteAgent({ acl: { allow: ["planner"] } });
    expect((await api("POST", `/agents/${name}/schedules`, { as: "outsider", body: { every_ms: 60_000, content: 1 } })).status).toBe(403);
    const mine = await api("POST", `/agents/${name}/schedules`, { as: "planner", body: { every_ms: 60_000, content: 1 } });
    expect(mine.status).toBe(201);
    expect(mine.body.from).toBe("planner");
    await api("POST", `/agents/${name}/schedules`, { body: { every_ms: 60_000, content: 2 } });
    expect((await api("GET", `/agents/${name}/schedules`, { as: "planner" })).body.schedules.map((s: { from: string }) => s.from)).toEqual(["planner"]);
    expect((await api("GET", `/agents/${name}/schedules`)).body.schedules).toHaveLength(2);
    expect((await api("DELETE", `/agents/${name}/schedules/${mine.body.id}`, { as: "outsider" })).status).toBe(403);
  });

  it("refuses bad schedules with 400 naming the field, and creates nothing", async () => {
    const name = await remoteAgent();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cron: "every morning" }, /cron: a cron expression has 5 fields/],
      [{ cron: "61 * * * *" }, /cron: .*minute/],
      [{ cron: "0 0 * * * *" }, /cron: a cron expression has 5 fields/],
      [{ cron: "0 0 31 2 *" }, /cron: "0 0 31 2 \*" never fires/],
      [{ cron: "0 9 * * *", timezone: "Mars/Olympus" }, /timezone: unknown time zone "Mars\/Olympus"/],
      [{ every_ms: 500 }, /every_ms/],
      [{ every_ms: 1000, timezone: "UTC" }, /timezone: timezone applies to cron schedules only/],
      [{ every_ms: 1000, cron: "* * * * *" }, /cron: give cron or every_ms, one of them/],
      [{}, /cron: give cron or every_ms/],
      [{ every_ms: 1000, catch_up: "some" }, /catch_up/],
    ];
    for (const [fields, detail] of cases) {
      const res = await api("POST", `/agents/${name}/schedules`, { body: { content: "x", ...fields } });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body.detail).toMatch(detail);
    }
    expect((await api("POST", `/agents/${name}/schedules`, { body: { every_ms: 1000 } })).body.detail).toMatch(/content: /);
    expect((await api("GET", `/agents/${name}/schedules`)).body.schedules).toEqual([]);
    expect((await api("POST", "/agents/no-such-agent-xyz/schedules", { body: { every_ms: 1000, content: 1 } })).status).toBe(404);
  });
});

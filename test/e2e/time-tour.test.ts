/**
 * README tour step 18 against `wrangler dev`: a message scheduled for tomorrow 09:00 UTC shows
 * `scheduled` with its time and is cancelled; a cron schedule in a time zone answers its next
 * firing and is listed with it; pausing an agent holds a message until it resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_POLL, eventually } from "../support/poll";
import { devApi } from "../support/dev-api";
import { type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
const call = (method: string, path: string, body?: unknown) => devApi(dev, method, path, body);

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("README tour 18: time and flow", () => {
  it("schedules a message for tomorrow, shows it scheduled, and cancels it", async () => {
    const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    const deliverAt = `${tomorrow}T09:00:00Z`;
    const sent = await call("POST", "/agents/echo/messages", { content: "good morning", deliver_at: deliverAt });
    expect(sent.status).toBe(202);
    const state = await call("GET", sent.body.status_url);
    expect(state.body).toMatchObject({ status: "scheduled", attempts: 0, deliver_at: `${tomorrow}T09:00:00.000Z` });
    const cancelled = await call("DELETE", sent.body.status_url);
    expect(cancelled.body).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    expect((await call("GET", sent.body.status_url)).body.status).toBe("cancelled");
  });

  it("creates a cron schedule in a time zone with its next firing, listed with it", async () => {
    const created = await call("POST", "/agents/echo/schedules", { cron: "0 9 * * 1-5", timezone: "Europe/Paris", content: "standup" });
    expect(created.status).toBe(201);
    // 09:00 in Paris is 08:00 UTC in winter and 07:00 in summer, on a weekday.
    expect(created.body.next_at).toMatch(/T0[78]:00:00\.000Z$/);
    expect([1, 2, 3, 4, 5]).toContain(new Date(created.body.next_at).getUTCDay());
    const list = await call("GET", "/agents/echo/schedules");
    expect(list.body.schedules).toContainEqual(expect.objectContaining({ id: created.body.id, next_at: created.body.next_at }));
    expect((await call("GET", "/agents/echo")).body.status.schedules).toBeGreaterThanOrEqual(1);
    expect((await call("DELETE", `/agents/echo/schedules/${created.body.id}`)).status).toBe(204);
  });

  it("holds a paused agent's message as pending and delivers it on resume", async () => {
    expect((await call("POST", "/agents/summarizer/pause")).body).toMatchObject({ paused: true });
    const sent = await call("POST", "/agents/summarizer/messages", { content: "Held until resumed." });
    await eventually(
      async () => ((await call("GET", "/agents/summarizer")).body.status.held >= 1 ? true : undefined),
      E2E_POLL.timeoutMs,
      "the message to be held",
      E2E_POLL.intervalMs,
    );
    expect((await call("GET", sent.body.status_url)).body).toMatchObject({ status: "pending", attempts: 0 });
    expect((await call("POST", "/agents/summarizer/resume")).body).toMatchObject({ paused: false });
    const done = await eventually(
      async () => {
        const res = await call("GET", sent.body.status_url);
        return res.body.status === "replied" ? res.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "the held message to be delivered",
      E2E_POLL.intervalMs,
    );
    expect(done.attempts).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { type CatchUp, GRACE_MS, MAX_CATCH_UP, planFirings } from "./firing-plan";
import { recurrence } from "./recurrence";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Walks a schedule through a list of alarm times, as its object would: fire, then move next_at. */
function walk(rec: ReturnType<typeof recurrence>, first: number, catchUp: CatchUp, alarms: number[]) {
  let nextAt: number | null = first;
  const fired: string[] = [];
  for (const now of alarms) {
    if (nextAt === null) break;
    const plan = planFirings({ next_at: nextAt, catch_up: catchUp }, rec, now);
    fired.push(...plan.fire.map(iso));
    nextAt = plan.next_at;
  }
  return { fired, nextAt: nextAt === null ? null : iso(nextAt) };
}

describe("planFirings with an injected clock", () => {
  const everyFive = recurrence({ cron: "*/5 * * * *" }, 0);
  const start = at("2026-01-01T00:00:30Z");
  const first = everyFive.next(start) as number;

  it("fires a cron schedule at each due time, once, however often the alarm runs", () => {
    expect(iso(first)).toBe("2026-01-01T00:05:00.000Z");
    // Early, on time, repeated, a bit late: each due time fires exactly once.
    const alarms = ["00:04:59", "00:05:00", "00:05:00", "00:05:01", "00:10:00.250", "00:10:02", "00:15:20"].map((t) => at(`2026-01-01T${t}Z`));
    expect(walk(everyFive, first, "one", alarms)).toEqual({
      fired: ["2026-01-01T00:05:00.000Z", "2026-01-01T00:10:00.000Z", "2026-01-01T00:15:00.000Z"],
      nextAt: "2026-01-01T00:20:00.000Z",
    });
  });

  it("reads a cron in its time zone, across a DST change", () => {
    const nine = recurrence({ cron: "0 9 * * *", timezone: "America/New_York" }, 0);
    const days = [nine.next(at("2026-03-07T00:00:00Z")) as number];
    for (let i = 0; i < 2; i++) days.push(nine.next(days[i] as number) as number);
    // 09:00 in New York is 14:00 UTC before 8 March 2026 and 13:00 UTC after.
    expect(days.map(iso)).toEqual(["2026-03-07T14:00:00.000Z", "2026-03-08T13:00:00.000Z", "2026-03-09T13:00:00.000Z"]);
  });

  it("after downtime: catch_up one fires once, all fires each missed time oldest first, none fires nothing", () => {
    const back = at("2026-01-01T00:22:10Z"); // 00:05, 00:10, 00:15 and 00:20 were missed
    expect(planFirings({ next_at: first, catch_up: "one" }, everyFive, back)).toEqual({
      fire: [at("2026-01-01T00:20:00Z")],
      skipped: 3,
      next_at: at("2026-01-01T00:25:00Z"),
    });
    expect(planFirings({ next_at: first, catch_up: "all" }, everyFive, back).fire.map(iso)).toEqual([
      "2026-01-01T00:05:00.000Z",
      "2026-01-01T00:10:00.000Z",
      "2026-01-01T00:15:00.000Z",
      "2026-01-01T00:20:00.000Z",
    ]);
    expect(planFirings({ next_at: first, catch_up: "none" }, everyFive, back)).toMatchObject({ fire: [], skipped: 4 });
  });

  it("none still fires a firing that is late by less than the grace, and skips a later one", () => {
    expect(planFirings({ next_at: first, catch_up: "none" }, everyFive, first + GRACE_MS).fire).toEqual([first]);
    expect(planFirings({ next_at: first, catch_up: "none" }, everyFive, first + GRACE_MS + 1)).toMatchObject({ fire: [], skipped: 1 });
  });

  it("bounds catch_up all to the newest MAX_CATCH_UP missed firings", () => {
    const everySecond = recurrence({ every_ms: 1000 }, at("2026-01-01T00:00:00Z"));
    const plan = planFirings({ next_at: at("2026-01-01T00:00:00Z"), catch_up: "all" }, everySecond, at("2026-01-01T01:00:00Z"));
    expect(plan.fire).toHaveLength(MAX_CATCH_UP);
    expect(iso(plan.fire.at(-1) as number)).toBe("2026-01-01T01:00:00.000Z");
    expect(plan.skipped).toBeGreaterThan(0);
    expect(iso(plan.next_at as number)).toBe("2026-01-01T01:00:01.000Z");
  });

  it("fires an interval from its anchor, never drifting with late alarms", () => {
    const anchor = at("2026-01-01T00:00:00Z");
    const every = recurrence({ every_ms: 60_000 }, anchor);
    const alarms = [anchor + 900, anchor + 60_000 + 5_000, anchor + 120_000];
    expect(walk(every, anchor, "one", alarms)).toEqual({
      fired: ["2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.000Z", "2026-01-01T00:02:00.000Z"],
      nextAt: "2026-01-01T00:03:00.000Z",
    });
  });

  it("stops a cron that never matches again", () => {
    const once = recurrence({ cron: "0 0 1 1 *" }, 0);
    const plan = planFirings({ next_at: at("2026-01-01T00:00:00Z"), catch_up: "one" }, once, at("2026-01-01T00:00:01Z"));
    expect(plan.fire.map(iso)).toEqual(["2026-01-01T00:00:00.000Z"]);
    expect(iso(plan.next_at as number)).toBe("2027-01-01T00:00:00.000Z");
  });
});

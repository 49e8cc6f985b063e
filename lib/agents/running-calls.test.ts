import { describe, expect, it } from "vitest";
import { toFailure } from "../message/errors";
import { EARLY_CANCEL_TTL_MS, RunningCalls } from "./running-calls";

describe("RunningCalls", () => {
  it("cancels every call running under an id with a cancelled reason, and none once it ended", () => {
    const calls = new RunningCalls();
    const a = calls.begin("msg_1");
    const b = calls.begin("msg_1");
    const other = calls.begin("msg_2");
    expect(calls.cancel("msg_1", "the caller went away")).toBe(true);
    expect(a.abort.signal.aborted && b.abort.signal.aborted).toBe(true);
    expect(toFailure(a.abort.signal.reason)).toMatchObject({ code: "cancelled", detail: "the caller went away" });
    expect(other.abort.signal.aborted).toBe(false);
    other.end();
    expect(calls.cancel("msg_2", "too late")).toBe(false);
  });

  it("remembers a cancel that overtook its call, for a while", () => {
    let now = 1_000;
    const calls = new RunningCalls(() => now);
    expect(calls.cancel("msg_early", "overtaken")).toBe(false);
    const started = calls.begin("msg_early");
    expect(started.abort.signal.aborted).toBe(true);
    expect(calls.begin("msg_early").abort.signal.aborted).toBe(false);

    calls.cancel("msg_stale", "long ago");
    now += EARLY_CANCEL_TTL_MS + 1;
    expect(calls.begin("msg_stale").abort.signal.aborted).toBe(false);
  });
});

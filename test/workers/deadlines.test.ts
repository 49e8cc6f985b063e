/**
 * The agent object's one alarm over its table of deadlines (lib/resilience/deadline-table.ts, on
 * a real object's storage): a deadline leaves the table only after its handler succeeded, and a
 * deadline whose alarm went missing is found again when the object starts. The table and the
 * object's storage are the subject, so the tests drive the table itself.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DeadlineTable } from "../../lib/resilience/deadline-table";
import { uniqueName } from "../support/api";
import { agentObjectStub } from "../support/agent-storage";

describe("the deadline table", () => {
  it("keeps a deadline whose handler failed, and runs it again after a backoff (audit: alarm() deleted it first)", async () => {
    await runInDurableObject(agentObjectStub(uniqueName("deadline")), async (_instance, state) => {
      const table = new DeadlineTable(state.storage.sql, state.storage);
      const runs: string[] = [];
      table.handle("probe", (key) => {
        runs.push(key);
        if (runs.length === 1) throw new Error("storage briefly unavailable");
      });
      // A minute ahead, so the object's own alarm never runs it meanwhile: runDue takes the time it is run at.
      const now = Date.now() + 60_000;
      await table.schedule("probe", "k1", now);
      await table.runDue(now, () => 0.5);
      expect(runs).toEqual(["k1"]);
      // Still there, due again after the first backoff (1 s, half of it jittered), and the alarm points at it.
      const retryAt = table.next();
      expect(retryAt).not.toBeNull();
      expect(retryAt).toBeGreaterThanOrEqual(now + 750);
      expect(await state.storage.getAlarm()).toBe(retryAt);

      await table.runDue(retryAt as number);
      expect(runs).toEqual(["k1", "k1"]);
      expect(table.next()).toBeNull();
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("never lets one failing deadline stop the others, and moves none that a handler rescheduled", async () => {
    await runInDurableObject(agentObjectStub(uniqueName("deadline")), async (_instance, state) => {
      const table = new DeadlineTable(state.storage.sql, state.storage);
      const now = Date.now() + 60_000;
      table.handle("fails", () => {
        throw new Error("no");
      });
      table.handle("again", (key) => table.schedule("again", key, now + 60_000));
      await table.schedule("fails", "a", now);
      await table.schedule("again", "b", now);
      await table.runDue(now);
      expect(table.dueAt("again", "b")).toBe(now + 60_000);
      expect(table.dueAt("fails", "a")).toBeGreaterThan(now);
    });
  });

  it("re-arms, when the object starts, a deadline whose alarm was never set (a crash between the two writes)", async () => {
    const stub = agentObjectStub(uniqueName("deadline"));
    const due = Date.now() + 60_000;
    await runInDurableObject(stub, async (_instance, state) => {
      await new DeadlineTable(state.storage.sql, state.storage).schedule("request", "req_lost", due);
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(stub);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBe(due);
  });
});

import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type TaskJson, type TaskSlice, TaskTable } from "./task-table";

const task = (id: string, state: string, contextId = "ctx"): TaskJson => ({ id, contextId, status: { state, timestamp: new Date().toISOString() } });

function withTable(fn: (table: TaskTable) => void): Promise<void> {
  const stub = env.AGENT.get(env.AGENT.idFromName(`task-table-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => fn(new TaskTable(state.storage.sql, 5)));
}

describe("TaskTable", () => {
  it("never lets a late state overwrite a terminal one", () =>
    withTable((table) => {
      table.save(task("t1", "TASK_STATE_WORKING"), null);
      table.save(task("t1", "TASK_STATE_CANCELED"), null);
      const kept = table.save(task("t1", "TASK_STATE_COMPLETED"), null);
      expect(kept.status?.state).toBe("TASK_STATE_CANCELED");
      expect(table.load("t1", null)?.status?.state).toBe("TASK_STATE_CANCELED");
    }));

  it("scopes tasks to their owner; admin (null) sees all", () =>
    withTable((table) => {
      table.save(task("mine", "TASK_STATE_COMPLETED"), "planner");
      expect(table.load("mine", "planner")).not.toBeNull();
      expect(table.load("mine", "outsider")).toBeNull();
      expect(table.load("mine", null)).not.toBeNull();
      // Another caller cannot overwrite it either.
      table.save(task("mine", "TASK_STATE_FAILED"), "outsider");
      expect(table.load("mine", null)?.status?.state).toBe("TASK_STATE_COMPLETED");
      expect(table.list({ limit: 10 }, "outsider").items).toHaveLength(0);
    }));

  it("lists the most recently updated first (ties by id), with filters and a position", () =>
    withTable((table) => {
      const at = (second: number) => `2026-12-02T07:00:${String(second).padStart(2, "0")}.000Z`;
      const save = (id: string, second: number, state = "TASK_STATE_COMPLETED", contextId = "one") =>
        table.save({ id, contextId, status: { state, timestamp: at(second) } }, null);
      save("a0", 1);
      save("a1", 2, "TASK_STATE_FAILED");
      save("a2", 3, "TASK_STATE_COMPLETED", "two");
      save("b2", 3, "TASK_STATE_FAILED", "two");
      // An update moves a task to the front, whatever its insertion order.
      save("a0", 9);
      const ids = (slice: TaskSlice) => slice.items.map((t) => t.task.id);
      const first = table.list({ limit: 3 }, null);
      expect(ids(first)).toEqual(["a0", "b2", "a2"]);
      expect(first).toMatchObject({ more: true, total_size: 4 });
      const rest = table.list({ limit: 3, after: first.items[2]?.key }, null);
      expect(ids(rest)).toEqual(["a1"]);
      expect(rest.more).toBe(false);
      // Resuming between two tasks of the same second keeps the tie-breaker.
      expect(ids(table.list({ limit: 3, after: first.items[1]?.key }, null))).toEqual(["a2", "a1"]);
      expect(ids(table.list({ limit: 10, context_id: "two", state: "TASK_STATE_FAILED" }, null))).toEqual(["b2"]);
      expect(ids(table.list({ limit: 10, status_after: at(2) }, null))).toEqual(["a0", "b2", "a2"]);
    }));
});

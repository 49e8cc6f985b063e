import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type TaskJson, TaskTable } from "./task-table";

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
      expect(table.list({ page_size: 10 }, "outsider").tasks).toHaveLength(0);
    }));

  it("lists newest first, with filters and a cursor", () =>
    withTable((table) => {
      for (let i = 0; i < 4; i++) table.save(task(`a${i}`, i % 2 ? "TASK_STATE_FAILED" : "TASK_STATE_COMPLETED", i < 2 ? "one" : "two"), null);
      const first = table.list({ page_size: 3 }, null);
      expect(first.tasks.map((t) => t.id)).toEqual(["a3", "a2", "a1"]);
      expect(first.total_size).toBe(4);
      const rest = table.list({ page_size: 3, page_token: first.next_page_token }, null);
      expect(rest.tasks.map((t) => t.id)).toEqual(["a0"]);
      expect(rest.next_page_token).toBe("");
      expect(table.list({ page_size: 10, context_id: "one", state: "TASK_STATE_FAILED" }, null).tasks.map((t) => t.id)).toEqual(["a1"]);
    }));
});

import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { type Task, TaskState } from "@a2a-js/sdk";
import type { ServerCallContext } from "@a2a-js/sdk/server";
import { describe, expect, it } from "vitest";
import { DurableTaskStore, type TaskPort } from "./task-store";
import { type TaskJson, TaskTable } from "./task-table";

const context = {} as ServerCallContext;

function taskOf(state: TaskState, chunks: number): Task {
  const text = Array.from({ length: chunks }, (_, i) => `w${i} `).join("");
  return {
    id: "t1",
    contextId: "ctx",
    status: { state, message: undefined, timestamp: new Date().toISOString() },
    artifacts: chunks
      ? [
          {
            artifactId: "a1",
            name: "",
            description: "",
            parts: [{ content: { $case: "text", value: text }, metadata: {}, filename: "", mediaType: "text/plain" }],
            metadata: {},
            extensions: [],
          },
        ]
      : [],
    history: [],
    metadata: {},
  };
}

/** A port over a real task table whose writes are held until `release`, counting them. */
function heldPort(table: TaskTable) {
  const writes: TaskJson[] = [];
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => {
    release = r;
  });
  const port: TaskPort = {
    async saveTask(task, owner) {
      writes.push(task);
      await gate;
      return table.save(task, owner);
    },
    loadTask: async (id, owner) => table.load(id, owner),
    listTasks: async ({ page_size, ...query }, owner) => {
      const slice = table.list({ ...query, limit: page_size }, owner);
      return { tasks: slice.items.map((t) => t.task), last: slice.more ? (slice.items.at(-1)?.key ?? null) : null, total_size: slice.total_size };
    },
  };
  return {
    port,
    writes,
    open() {
      release();
      gate = Promise.resolve();
    },
  };
}

describe("DurableTaskStore", () => {
  it("writes a working task's chunks behind, coalesced, and the end at once after them", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(`task-store-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const table = new TaskTable(state.storage.sql, 5);
      const held = heldPort(table);
      const store = new DurableTaskStore(held.port, null);
      // The first save is a status change: it waits for its write, which is held.
      const first = store.save(taskOf(TaskState.TASK_STATE_WORKING, 0), context);
      // Chunks while working do not wait (were they waiting, the held write would keep them waiting for ever).
      for (let i = 1; i <= 20; i++) await store.save(taskOf(TaskState.TASK_STATE_WORKING, i), context);
      expect(held.writes).toHaveLength(1);
      expect(JSON.stringify(await store.load("t1", context))).toContain("w19 ");
      const done = store.save(taskOf(TaskState.TASK_STATE_COMPLETED, 20), context);
      held.open();
      await Promise.all([first, done]);
      // The first write, then the newest snapshot: never one write per chunk.
      expect(held.writes.length).toBeLessThanOrEqual(3);
      expect(held.writes.at(-1)?.status?.state).toBe("TASK_STATE_COMPLETED");
      const stored = table.load("t1", null);
      expect(stored?.status?.state).toBe("TASK_STATE_COMPLETED");
      expect(JSON.stringify(stored)).toContain("w19 ");
    });
  });
});

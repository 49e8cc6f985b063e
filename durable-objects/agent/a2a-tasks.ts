/**
 * The A2A tasks of this agent (lib/a2a/task-table.ts). The table is created on first use, so
 * objects of agents never reached over A2A carry no `a2a_tasks` table.
 */
import { type TaskJson, type TaskOwner, type TaskQuery, type TaskSlice, TaskTable, isTerminalState } from "../../lib/a2a/task-table";
import type { RequestRow } from "../../lib/protocols/request-store";

export class A2ATasks {
  private table: TaskTable | null = null;
  /** Subscribers waiting for a task to change (SubscribeToTask long-polls); a lost wake-up only ends a poll early. */
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(private readonly sql: SqlStorage) {}

  private get tasks(): TaskTable {
    this.table ??= new TaskTable(this.sql);
    return this.table;
  }

  save(task: TaskJson, owner: TaskOwner): TaskJson {
    const kept = this.tasks.save(task, owner);
    for (const wake of this.watchers.get(task.id) ?? []) wake();
    return kept;
  }

  /** The task once its status is no longer the one stamped `statusAt`, or null when `waitMs` passed first (or no such task). */
  async watch(id: string, owner: TaskOwner, statusAt: string, waitMs: number): Promise<TaskJson | null> {
    const changed = () => {
      const task = this.tasks.load(id, owner);
      return task && task.status?.timestamp !== statusAt ? task : null;
    };
    const now = changed();
    if (now || !this.tasks.load(id, owner)) return now;
    await new Promise<void>((resolve) => {
      const set = this.watchers.get(id) ?? new Set();
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.watchers.delete(id);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(waitMs, 30_000)));
      set.add(done);
      this.watchers.set(id, set);
    });
    return changed();
  }

  load(id: string, owner: TaskOwner): TaskJson | null {
    return this.tasks.load(id, owner);
  }

  list(query: TaskQuery, owner: TaskOwner): TaskSlice {
    return this.tasks.list(query, owner);
  }

  /**
   * A request that an A2A task waits on ended without an answer (timed out, or cancelled through
   * `DELETE /requests/:id`): the task ends too, so `GetTask` never shows a question nobody can answer.
   */
  requestEnded(row: RequestRow): void {
    const taskId = row.message.metadata.a2a_task_id;
    if (typeof taskId !== "string") return;
    const task = this.tasks.load(taskId, null);
    if (!task || isTerminalState(task.status?.state)) return;
    const state = row.status === "cancelled" ? "TASK_STATE_CANCELED" : "TASK_STATE_FAILED";
    const text = row.error ? `${row.error.code}: ${row.error.detail}` : row.status;
    const message = {
      messageId: crypto.randomUUID(),
      role: "ROLE_AGENT",
      taskId,
      contextId: task.contextId,
      parts: [{ text }],
      metadata: { code: row.error?.code },
    };
    this.tasks.save({ ...task, status: { state, message, timestamp: new Date().toISOString() } }, null);
  }
}

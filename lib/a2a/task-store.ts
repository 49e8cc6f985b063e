/**
 * The SDK's `TaskStore`, backed by the agent's Durable Object (lib/a2a/task-table.ts behind RPC)
 * instead of memory, so tasks survive isolates and eviction. Tasks cross RPC in the protocol's
 * JSON form. Within one request, tasks this store saved are served from a small cache: the SDK
 * re-loads before every merge, and each load would otherwise be another round trip.
 */
import { type ListTasksRequest, type ListTasksResponse, Task, taskStateToJSON } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore } from "@a2a-js/sdk/server";
import type { TaskJson, TaskOwner, TaskPage, TaskQuery } from "./task-table";

/** The Durable Object methods the store needs. */
export interface TaskPort {
  saveTask(task: TaskJson, owner: TaskOwner): Promise<TaskJson>;
  loadTask(id: string, owner: TaskOwner): Promise<TaskJson | null>;
  listTasks(query: TaskQuery, owner: TaskOwner): Promise<TaskPage>;
}

export class DurableTaskStore implements TaskStore {
  private readonly cache = new Map<string, Task>();

  /** `owner`: the caller's agent name, or null for admin (who sees every task). */
  constructor(
    private readonly port: TaskPort,
    private readonly owner: TaskOwner,
  ) {}

  async save(task: Task, _context: ServerCallContext): Promise<void> {
    // The Durable Object answers with what it kept: a task that already ended stays as it ended.
    const kept = await this.port.saveTask(Task.toJSON(task) as TaskJson, this.owner);
    this.cache.set(task.id, Task.fromJSON(kept));
  }

  async load(taskId: string, _context: ServerCallContext): Promise<Task | undefined> {
    const cached = this.cache.get(taskId);
    if (cached) return structuredClone(cached);
    const json = await this.port.loadTask(taskId, this.owner);
    return json ? Task.fromJSON(json) : undefined;
  }

  async list(params: ListTasksRequest, _context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = params.pageSize ?? 50;
    const query: TaskQuery = { page_size: pageSize };
    if (params.contextId) query.context_id = params.contextId;
    if (params.status) query.state = taskStateToJSON(params.status);
    if (params.statusTimestampAfter) query.status_after = params.statusTimestampAfter;
    if (params.pageToken) query.page_token = params.pageToken;
    const page = await this.port.listTasks(query, this.owner);
    return {
      tasks: page.tasks.map((t) => Task.fromJSON(t)),
      nextPageToken: page.next_page_token,
      pageSize,
      totalSize: page.total_size,
    };
  }
}

/**
 * The SDK's `TaskStore`, backed by the agent's Durable Object (lib/a2a/task-table.ts behind RPC)
 * instead of memory, so tasks survive isolates and eviction. Tasks cross RPC in the protocol's
 * JSON form. Within one request, tasks this store saved are served from a small cache: the SDK
 * re-loads before every merge, and each load would otherwise be another round trip.
 *
 * The SDK saves the task after every event it publishes and waits for the save before it sends the
 * event on, so a streamed answer would cost one round trip per token. A save that only adds to a
 * task still working (an artifact chunk) is written behind instead: at most one write per task is
 * on its way, and the newest snapshot waiting goes next, so chunks are saved in coalesced batches.
 * A status change (the first save, input-required, the end) is written at once and waited for,
 * after whatever was on its way. What a batch lags behind is never lost to a client: SubscribeToTask
 * replays the run's stream from the agent's object (./request-handler.ts), not the stored artifacts.
 */
import { type ListTasksRequest, type ListTasksResponse, Task, TaskState, taskStateToJSON } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore } from "@a2a-js/sdk/server";
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import { z } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "../registry/cursor";
import { SwitchboardError } from "../message/errors";
import type { TaskJson, TaskListing, TaskOwner, TaskPage } from "./task-table";

/** The Durable Object methods the store needs. */
export interface TaskPort {
  saveTask(task: TaskJson, owner: TaskOwner): Promise<TaskJson>;
  loadTask(id: string, owner: TaskOwner): Promise<TaskJson | null>;
  listTasks(query: TaskListing, owner: TaskOwner): Promise<TaskPage>;
}

/** A ListTasks page token holds the key of the last task listed (./task-table.ts `taskKey`). */
const TokenPosition = z.object({ after: z.string().min(1).max(1024).includes("\u0000") });

function positionOf(pageToken: string): string {
  try {
    return decodeCursor("tasks", pageToken, TokenPosition).after;
  } catch (error) {
    if (error instanceof SwitchboardError) throw new RequestMalformedError("pageToken: not a token from this listing (pass nextPageToken as it was given)");
    throw error;
  }
}

export class DurableTaskStore implements TaskStore {
  private readonly cache = new Map<string, Task>();
  /** The newest snapshot of a task not yet written, by id. */
  private readonly unsaved = new Map<string, Task>();
  /** The write of a task on its way, by id. */
  private readonly writing = new Map<string, Promise<void>>();
  /** The state each task was last written with. */
  private readonly writtenState = new Map<string, TaskState | undefined>();

  /** `owner`: the caller's agent name, or null for admin (who sees every task). */
  constructor(
    private readonly port: TaskPort,
    private readonly owner: TaskOwner,
  ) {}

  async save(task: Task, _context: ServerCallContext): Promise<void> {
    const state = task.status?.state;
    const behind = state === TaskState.TASK_STATE_WORKING && this.writtenState.has(task.id) && this.writtenState.get(task.id) === state;
    // One copy for both: neither is changed in place (a load hands out a clone of the cached one).
    const copy = structuredClone(task);
    this.unsaved.set(task.id, copy);
    this.cache.set(task.id, copy);
    const written = this.flush(task.id);
    if (!behind) return written;
    written.catch((error: unknown) => {
      // The next save writes the whole task again, so a batch that failed is written with it.
      console.warn(JSON.stringify({ level: "warn", msg: "an A2A task's chunk batch was not saved", task_id: task.id, error: String(error) }));
    });
  }

  /** Writes the newest unsaved snapshot of task `id` once the write on its way (if any) is done; settles when it is. */
  private flush(id: string): Promise<void> {
    const running = this.writing.get(id);
    if (running) return running.catch(() => {}).then(() => this.flush(id));
    const next = this.unsaved.get(id);
    if (!next) return Promise.resolve();
    this.unsaved.delete(id);
    this.writtenState.set(id, next.status?.state);
    const write = this.port
      .saveTask(Task.toJSON(next) as TaskJson, this.owner)
      .then((kept) => {
        // The Durable Object answers with what it kept: a task that already ended stays as it ended.
        if (!this.unsaved.has(id)) this.cache.set(id, Task.fromJSON(kept));
      })
      .finally(() => this.writing.delete(id));
    this.writing.set(id, write);
    return write;
  }

  async load(taskId: string, _context: ServerCallContext): Promise<Task | undefined> {
    const cached = this.cache.get(taskId);
    if (cached) return structuredClone(cached);
    const json = await this.port.loadTask(taskId, this.owner);
    return json ? Task.fromJSON(json) : undefined;
  }

  async list(params: ListTasksRequest, _context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = params.pageSize ?? 50;
    const query: TaskListing = { page_size: pageSize };
    if (params.contextId) query.context_id = params.contextId;
    if (params.status) query.state = taskStateToJSON(params.status);
    if (params.statusTimestampAfter) query.status_after = params.statusTimestampAfter;
    if (params.pageToken) query.after = positionOf(params.pageToken);
    const page = await this.port.listTasks(query, this.owner);
    return {
      tasks: page.tasks.map((t) => Task.fromJSON(t)),
      nextPageToken: page.last === null ? "" : encodeCursor("tasks", { after: page.last }),
      pageSize,
      totalSize: page.total_size,
    };
  }
}

/**
 * The SDK's `DefaultRequestHandler`, with the two methods that must reach a task's invocation
 * wherever it runs. The SDK finds a running task through an in-memory event bus, which another
 * request (another isolate) does not have; our tasks know their run (./task-updates.ts), and the
 * run's stream is kept by the agent's object, so:
 *
 * - `CancelTask` marks the task canceled (the SDK's own rules), then cancels the invocation in the
 *   object running it: the handler's signal fires and every sub-call it made is cancelled.
 * - `SubscribeToTask` answers the task, then the events of its stream from the first — the deltas
 *   a client missed, then the live tail — as artifact-updates whose first replaces what the task
 *   snapshot held, so the answer is never doubled.
 *
 * A task waiting for input has no run going: it is a request waiting in the agent's object
 * (./executor.ts). Cancelling it cancels that request; subscribing to it follows the stored task,
 * change by change, until the follow-up that answers it ends it (or `maxMs` passes).
 */
import { type CancelTaskRequest, type StreamResponse, type SubscribeToTaskRequest, type Task, TaskState } from "@a2a-js/sdk";
import { TaskNotFoundError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import { type AgentExecutor, DefaultRequestHandler, type ServerCallContext, type TaskStore } from "@a2a-js/sdk/server";
import type { AgentCard } from "@a2a-js/sdk";
import type { StoredEvent } from "../streams/stream-event";
import { runOf, type TaskRun, TaskUpdates, waitingRequestOf } from "./task-updates";

export interface RunPorts {
  /** Cancels the invocation `run` names; resolves once the object was told. */
  cancel(run: TaskRun, detail: string): Promise<unknown>;
  /** The events of `run`'s stream from the first, then its live tail; null when it is no longer kept. */
  read(run: TaskRun): Promise<AsyncIterable<StoredEvent> | null>;
  /** Cancels the request a task waiting for input waits as. */
  cancelRequest(requestId: string): Promise<void>;
  /** The task as stored once it changes after `statusAt` (its status timestamp), or undefined after `waitMs`. */
  watch(taskId: string, statusAt: string, waitMs: number): Promise<Task | undefined>;
}

/** How long one subscription to a waiting task stays open at most. @default 300000 */
export const MAX_SUBSCRIPTION_MS = 300_000;

const ENDED = new Set([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

export class SwitchboardRequestHandler extends DefaultRequestHandler {
  constructor(
    card: AgentCard,
    private readonly tasks: TaskStore,
    executor: AgentExecutor,
    private readonly runs: RunPorts,
    private readonly agent: string,
  ) {
    super(card, tasks, executor);
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    const before = await this.tasks.load(params.id, context);
    const canceled = await super.cancelTask(params, context);
    const waitingOn = waitingRequestOf(before);
    const run = runOf(canceled);
    if (waitingOn) await this.runs.cancelRequest(waitingOn);
    else if (run) await this.runs.cancel(run, `cancelled by A2A CancelTask (task ${canceled.id})`);
    return canceled;
  }

  override async *resubscribe(params: SubscribeToTaskRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const task = await this.tasks.load(params.id, context);
    if (!task) throw new TaskNotFoundError(`Task not found: ${params.id}`);
    if (ENDED.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED))
      throw new UnsupportedOperationError(`Task ${task.id} is in a terminal state (${TaskState[task.status?.state ?? 0]}) and cannot be subscribed to.`);
    if (task.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED) {
      yield* this.followStored(task);
      return;
    }
    const run = runOf(task);
    if (!run) {
      yield* super.resubscribe(params, context);
      return;
    }
    yield { payload: { $case: "task", value: task } };
    const events = await this.runs.read(run);
    if (!events) return;
    const updates = new TaskUpdates(task, this.agent, true);
    for await (const event of events) {
      for (const update of updates.of(event)) {
        if (update.kind === "artifactUpdate") yield { payload: { $case: "artifactUpdate", value: update.data } };
        else if (update.kind === "statusUpdate") yield { payload: { $case: "statusUpdate", value: update.data } };
      }
      if (event.event === "reply" || event.event === "error") return;
    }
  }

  /** The stored task, then each change to it, until it ends or MAX_SUBSCRIPTION_MS passes. */
  private async *followStored(first: Task): AsyncGenerator<StreamResponse, void, undefined> {
    let task = first;
    yield { payload: { $case: "task", value: task } };
    const until = Date.now() + MAX_SUBSCRIPTION_MS;
    while (!ENDED.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED) && Date.now() < until) {
      const next = await this.runs.watch(task.id, task.status?.timestamp ?? "", Math.min(25_000, until - Date.now()));
      if (!next) continue;
      const known = new Set(task.artifacts.map((a) => a.artifactId));
      for (const artifact of next.artifacts.filter((a) => !known.has(a.artifactId))) {
        yield {
          payload: { $case: "artifactUpdate", value: { taskId: task.id, contextId: task.contextId, artifact, append: false, lastChunk: true, metadata: {} } },
        };
      }
      if (next.status) yield { payload: { $case: "statusUpdate", value: { taskId: task.id, contextId: task.contextId, status: next.status, metadata: {} } } };
      task = next;
    }
  }
}

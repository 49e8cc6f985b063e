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
 */
import { type CancelTaskRequest, type StreamResponse, type SubscribeToTaskRequest, type Task, TaskState } from "@a2a-js/sdk";
import { TaskNotFoundError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import { type AgentExecutor, DefaultRequestHandler, type ServerCallContext, type TaskStore } from "@a2a-js/sdk/server";
import type { AgentCard } from "@a2a-js/sdk";
import type { StoredEvent } from "../streams/stream-event";
import { runOf, type TaskRun, TaskUpdates } from "./task-updates";

export interface RunPorts {
  /** Cancels the invocation `run` names; resolves once the object was told. */
  cancel(run: TaskRun, detail: string): Promise<unknown>;
  /** The events of `run`'s stream from the first, then its live tail; null when it is no longer kept. */
  read(run: TaskRun): Promise<AsyncIterable<StoredEvent> | null>;
}

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
    const canceled = await super.cancelTask(params, context);
    const run = runOf(canceled);
    if (run) await this.runs.cancel(run, `cancelled by A2A CancelTask (task ${canceled.id})`);
    return canceled;
  }

  override async *resubscribe(params: SubscribeToTaskRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const task = await this.tasks.load(params.id, context);
    if (!task) throw new TaskNotFoundError(`Task not found: ${params.id}`);
    if (ENDED.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED))
      throw new UnsupportedOperationError(`Task ${task.id} is in a terminal state (${TaskState[task.status?.state ?? 0]}) and cannot be subscribed to.`);
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
}

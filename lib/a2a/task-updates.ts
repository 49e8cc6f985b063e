/**
 * A Switchboard stream (lib/streams/stream-event.ts) as A2A task events: each delta an
 * artifact-update of the one `reply` artifact (`append: true` after the first, so a client that
 * joins the parts has the answer so far), each step a `working` status update, then the whole
 * reply as the artifact's last chunk and the final status — `completed`, or `failed`/`canceled`
 * with the Switchboard code in the status message. The executor uses it live; SubscribeToTask
 * uses it on the stream the agent's object kept.
 */
import { type Artifact, type Message, type Part, Role, type Task, TaskState } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutionEvent } from "@a2a-js/sdk/server";
import type { Failure } from "../message/errors";
import { failureOfProblem } from "../streams/sse-read";
import { chunkOf, type StoredEvent } from "../streams/stream-event";
import { contentToParts } from "./parts";

/** Where a task's invocation runs: its stream (which names the object) and the message it answers. Kept in the task's metadata. */
export interface TaskRun {
  stream_id: string;
  message_id: string;
}

const RUN_KEY = "switchboard_run";

export function withRun(task: Task, run: TaskRun): Task {
  return { ...task, metadata: { ...task.metadata, [RUN_KEY]: run } };
}

export function runOf(task: Task): TaskRun | null {
  const run = task.metadata?.[RUN_KEY] as Partial<TaskRun> | undefined;
  return typeof run?.stream_id === "string" && typeof run.message_id === "string" ? { stream_id: run.stream_id, message_id: run.message_id } : null;
}

export class TaskUpdates {
  private chunks = 0;
  private current: Task;

  /** `live`: every delta and step is an event (a streaming client); else only the outcome is. */
  constructor(
    task: Task,
    private readonly agent: string,
    private readonly live: boolean,
  ) {
    this.current = task;
  }

  /** The task as the events so far left it. */
  get task(): Task {
    return this.current;
  }

  /** The A2A events for one event of the stream (none for `start`, and for deltas and steps unless live). */
  of(event: StoredEvent): AgentExecutionEvent[] {
    const { id: taskId, contextId } = this.current;
    switch (event.event) {
      case "delta": {
        if (!this.live) return [];
        const append = this.chunks++ > 0;
        return [
          AgentEvent.artifactUpdate({
            taskId,
            contextId,
            artifact: this.artifact(contentToParts(chunkOf(event.data))),
            append,
            lastChunk: false,
            metadata: {},
          }),
        ];
      }
      case "step":
        if (!this.live) return [];
        return [AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), metadata: { step: event.data } })];
      case "reply": {
        const parts = contentToParts(event.data.content);
        const artifact = this.artifact(parts, event.data.metadata);
        this.current = { ...this.current, artifacts: [artifact], status: status(TaskState.TASK_STATE_COMPLETED, this.message(parts, event.data.metadata)) };
        return [
          AgentEvent.artifactUpdate({ taskId, contextId, artifact, append: false, lastChunk: true, metadata: {} }),
          AgentEvent.statusUpdate({ taskId, contextId, status: this.current.status, metadata: {} }),
        ];
      }
      case "error":
        return this.fail(failureOfProblem(event.data));
      default:
        return [];
    }
  }

  /** The task ends with `f`: `canceled` for a cancelled call, else `failed`; the status message names the code. */
  fail(f: Failure): AgentExecutionEvent[] {
    const meta: Record<string, unknown> = { code: f.code, detail: f.detail };
    if (f.retry_after !== undefined) meta.retry_after = f.retry_after;
    const state = f.code === "cancelled" ? TaskState.TASK_STATE_CANCELED : TaskState.TASK_STATE_FAILED;
    this.current = { ...this.current, status: status(state, this.message(contentToParts(`${f.code}: ${f.detail}`), meta)) };
    return [AgentEvent.statusUpdate({ taskId: this.current.id, contextId: this.current.contextId, status: this.current.status, metadata: {} })];
  }

  private artifact(parts: Part[], metadata: Record<string, unknown> = {}): Artifact {
    return { artifactId: "reply", name: "reply", description: `reply from ${this.agent}`, parts, metadata, extensions: [] };
  }

  private message(parts: Part[], metadata: Record<string, unknown> = {}): Message {
    return {
      messageId: crypto.randomUUID(),
      contextId: this.current.contextId,
      taskId: this.current.id,
      role: Role.ROLE_AGENT,
      parts,
      metadata,
      extensions: [],
      referenceTaskIds: [],
    };
  }
}

export function status(state: TaskState, message?: Message): Task["status"] {
  return { state, message, timestamp: new Date().toISOString() };
}

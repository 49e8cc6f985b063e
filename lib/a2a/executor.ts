/**
 * The SDK's `AgentExecutor` for a Switchboard agent: an A2A message becomes one streaming
 * invocation through the agent's Durable Object pipeline (ACL by the caller's key, breaker,
 * concurrency cap, deadline, log; pattern "a2a"), kept as a stream in that object. Its events
 * become the task's (./task-updates.ts): for `SendStreamingMessage` every delta as an
 * artifact-update as it arrives; for `SendMessage` only the outcome. The task remembers where its
 * run is (`switchboard_run`), so `CancelTask` and `SubscribeToTask` reach it from any request.
 */
import type { Task } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext, type TaskStore } from "@a2a-js/sdk/server";
import type { Call } from "../message/call";
import { deadlineAfter, makeEnvelope } from "../message/call";
import { Metadata } from "../message/envelope";
import { failure, type Result } from "../message/errors";
import type { StoredEvent } from "../streams/stream-event";
import { partsToContent } from "./parts";
import { status, TaskUpdates, withRun } from "./task-updates";
import { TaskState } from "@a2a-js/sdk";

/** A streaming invocation that started: where it runs, and its events as they come. */
export type StartedRun = Result<{ stream_id: string; message_id: string; events: AsyncIterable<StoredEvent> }>;

export interface ExecutorPorts {
  /** One streaming call into the target agent's Durable Object. */
  invokeStream(call: Call): Promise<StartedRun>;
  /** Keeps the Worker alive for work that outlives the response (non-blocking sends). */
  waitUntil(promise: Promise<unknown>): void;
}

export interface ExecutorInit {
  agent: string;
  /** Set from the authenticated principal; null for admin. */
  from: string | null;
  traceparent: string;
  store: TaskStore;
  ports: ExecutorPorts;
  /** The client reads a stream (`SendStreamingMessage`): publish every delta and step. */
  streaming: boolean;
}

export class SwitchboardExecutor implements AgentExecutor {
  constructor(private readonly init: ExecutorInit) {}

  execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const run = this.run(request, bus);
    // A non-blocking send answers before the agent does, and a streaming client may leave before it
    // ends: the SDK then stops storing the bus's events, so the outcome is saved here as well, with
    // the Worker kept alive until it is.
    this.init.ports.waitUntil(run.then((final) => this.init.store.save(final, request.context)));
    await run;
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId: "", status: status(TaskState.TASK_STATE_CANCELED), metadata: {} }));
  };

  /** Runs the invocation, publishing the task's events; returns the task as it ends. */
  private async run(request: RequestContext, bus: ExecutionEventBus): Promise<Task> {
    const { taskId, contextId, userMessage } = request;
    const history = [...(request.task?.history ?? [])];
    if (!history.some((m) => m.messageId === userMessage.messageId)) history.push(userMessage);
    const task: Task = { id: taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), artifacts: [], history, metadata: {} };
    const call = this.callOf(request, task);
    let started: StartedRun;
    try {
      started = call.ok ? await this.init.ports.invokeStream(call.call) : call;
    } catch (error) {
      started = failure("agent_error", `invocation failed: ${(error as Error).message}`, { transient: true });
    }
    const updates = new TaskUpdates(
      started.ok ? withRun(task, { stream_id: started.stream_id, message_id: started.message_id }) : task,
      this.init.agent,
      this.init.streaming,
    );
    bus.publish(AgentEvent.task(updates.task));
    if (!started.ok) {
      for (const event of updates.fail(started)) bus.publish(event);
      return updates.task;
    }
    let ended = false;
    try {
      for await (const event of started.events) {
        for (const update of updates.of(event)) bus.publish(update);
        if (event.event === "reply" || event.event === "error") {
          ended = true;
          break;
        }
      }
    } catch {}
    if (!ended)
      for (const event of updates.fail(failure("agent_error", "the invocation's stream ended before its reply", { transient: true }))) bus.publish(event);
    return updates.task;
  }

  private callOf(request: RequestContext, task: Task): Result<{ call: Call }> {
    const metadata = Metadata.safeParse({ ...(request.userMessage.metadata ?? {}), a2a_task_id: task.id, a2a_context_id: task.contextId });
    if (!metadata.success) return failure("invalid_request", `message.metadata: ${metadata.error.issues[0]?.message ?? "invalid"}`);
    const call: Call = {
      message: makeEnvelope({
        from: this.init.from,
        to: this.init.agent,
        role: "agent_call",
        content: partsToContent(request.userMessage.parts),
        metadata: metadata.data,
        traceparent: this.init.traceparent,
      }),
      deadline: deadlineAfter(null),
      path: [],
      pattern: "a2a",
    };
    return { ok: true, call };
  }
}

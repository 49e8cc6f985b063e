/**
 * The SDK's `AgentExecutor` for a Switchboard agent: an A2A message becomes one streaming
 * invocation through the agent's Durable Object pipeline (ACL by the caller's key, breaker,
 * concurrency cap, deadline, log; pattern "a2a"), kept as a stream in that object. Its events
 * become the task's (./task-updates.ts): for `SendStreamingMessage` every delta as an
 * artifact-update as it arrives; for `SendMessage` only the outcome. The task remembers where its
 * run is (`metadata.switchboardRun`), so `CancelTask` and `SubscribeToTask` reach it from any request.
 *
 * An agent that asks for input (its reply carries `metadata.input_required`) leaves the task
 * `input-required`: the call becomes a request waiting in the agent's object, and nothing is held
 * here. The follow-up message on that task is its answer; the agent resumes with every turn, and
 * the task completes or asks again (./task-updates.ts `ofRequest`).
 */
import type { Task } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext, type TaskStore } from "@a2a-js/sdk/server";
import type { Call } from "../message/call";
import { deadlineAfter, makeEnvelope } from "../message/call";
import { type Envelope, Metadata } from "../message/envelope";
import { inputRequestOf } from "../message/input-required";
import { failure, type Result } from "../message/errors";
import type { StoredEvent } from "../streams/stream-event";
import { partsToContent } from "./parts";
import { shapeOf } from "./reply-shape";
import { status, TaskUpdates, type WaitingRequest, waitingRequestOf, withRun } from "./task-updates";
import { TaskState } from "@a2a-js/sdk";

/** A streaming invocation that started: where it runs, and its events as they come. */
export type StartedRun = Result<{ stream_id: string; message_id: string; events: AsyncIterable<StoredEvent> }>;

export interface ExecutorPorts {
  /** One streaming call into the target agent's Durable Object. */
  invokeStream(call: Call): Promise<StartedRun>;
  /** The call asked for input: it becomes a request waiting in the agent's object. */
  park(parked: { message: Envelope; question: Envelope; timeout_ms: number | null }): Promise<Result<{ request: WaitingRequest }>>;
  /** Answers a waiting request and returns it after the resumed attempt. */
  answer(requestId: string, answer: unknown): Promise<Result<{ request: WaitingRequest }>>;
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

  /** Runs the invocation (or answers the request the task waits as), publishing the task's events; returns the task as it ends. */
  private async run(request: RequestContext, bus: ExecutionEventBus): Promise<Task> {
    const { taskId, contextId, userMessage } = request;
    const history = [...(request.task?.history ?? [])];
    if (!history.some((m) => m.messageId === userMessage.messageId)) history.push(userMessage);
    const waitingOn = waitingRequestOf(request.task);
    const task: Task = {
      id: taskId,
      contextId,
      status: status(TaskState.TASK_STATE_WORKING),
      artifacts: waitingOn ? (request.task?.artifacts ?? []) : [],
      history,
      metadata: waitingOn ? { requestId: waitingOn } : {},
    };
    const call = this.callOf(request, task);
    if (waitingOn && call.ok) return this.resume(task, waitingOn, call.call.message.content, bus);
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
    if (!started.ok || !call.ok) {
      if (!started.ok) for (const event of updates.fail(started)) bus.publish(event);
      return updates.task;
    }
    let ended = false;
    try {
      for await (const event of started.events) {
        if (event.event === "reply") {
          await this.answered(updates, call.call.message, event.data, bus);
          ended = true;
          break;
        }
        for (const update of updates.of(event)) bus.publish(update);
        if (event.event === "error") {
          ended = true;
          break;
        }
      }
    } catch {}
    if (!ended)
      for (const event of updates.fail(failure("agent_error", "the invocation's stream ended before its reply", { transient: true }))) bus.publish(event);
    return updates.task;
  }

  /** The agent's reply: a question parks the call as a waiting request; a reply shaped as a message answers one; else the task completes. */
  private async answered(updates: TaskUpdates, message: Envelope, reply: Envelope, bus: ExecutionEventBus): Promise<void> {
    if (inputRequestOf(reply)) {
      const parked = await this.init.ports.park({ message, question: reply, timeout_ms: null });
      for (const event of parked.ok ? updates.ofRequest(parked.request) : updates.fail(parked)) bus.publish(event);
      return;
    }
    let asMessage = false;
    try {
      asMessage = shapeOf(reply.metadata).response === "message";
    } catch {}
    if (asMessage) bus.publish(AgentEvent.message(updates.answeredWith(reply)));
    else for (const event of updates.replied(reply)) bus.publish(event);
  }

  /** A follow-up on a task waiting for input: its content answers the request, and the agent resumes before this returns. */
  private async resume(task: Task, requestId: string, answer: unknown, bus: ExecutionEventBus): Promise<Task> {
    const updates = new TaskUpdates(task, this.init.agent, this.init.streaming);
    bus.publish(AgentEvent.task(updates.task));
    let answered: Result<{ request: WaitingRequest }>;
    try {
      answered = await this.init.ports.answer(requestId, answer);
    } catch (error) {
      answered = failure("agent_error", `invocation failed: ${(error as Error).message}`, { transient: true });
    }
    for (const event of answered.ok ? updates.ofRequest(answered.request) : updates.fail(answered)) bus.publish(event);
    return updates.task;
  }

  private callOf(request: RequestContext, task: Task): Result<{ call: Call }> {
    const metadata = Metadata.safeParse({
      ...(request.userMessage.metadata ?? {}),
      a2a_task_id: task.id,
      a2a_context_id: task.contextId,
      a2a_message_id: request.userMessage.messageId,
    });
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

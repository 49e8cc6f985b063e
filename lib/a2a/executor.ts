/**
 * The SDK's `AgentExecutor` for a Switchboard agent: an A2A message becomes one invocation
 * through the agent's Durable Object pipeline (ACL by the caller's key, breaker, concurrency cap,
 * deadline, log; pattern "a2a"), and its outcome becomes the task's final state: the reply as an
 * artifact and a completed status, or a failed status naming the Switchboard error code.
 */
import { type Message, type Part, Role, type Task, TaskState } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext, type TaskStore } from "@a2a-js/sdk/server";
import type { Call } from "../message/call";
import { deadlineAfter, makeEnvelope } from "../message/call";
import type { InvokeResult } from "../message/call";
import { Metadata } from "../message/envelope";
import { type Failure, failure } from "../message/errors";
import { contentToParts, partsToContent } from "./parts";

export interface ExecutorPorts {
  /** One call into the target agent's Durable Object. */
  invoke(call: Call): Promise<InvokeResult>;
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
}

export class SwitchboardExecutor implements AgentExecutor {
  constructor(private readonly init: ExecutorInit) {}

  execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId, userMessage } = request;
    const history = [...(request.task?.history ?? [])];
    if (!history.some((m) => m.messageId === userMessage.messageId)) history.push(userMessage);
    const task: Task = { id: taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), artifacts: [], history, metadata: {} };
    bus.publish(AgentEvent.task(task));

    const run = this.run(request, task);
    // A non-blocking send answers before the agent does; the Worker must stay alive until the
    // outcome is stored, so the final task is saved here rather than only through the event bus.
    if (request.request.configuration?.returnImmediately) this.init.ports.waitUntil(run.then((final) => this.init.store.save(final, request.context)));
    const final = await run;
    for (const artifact of final.artifacts)
      bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact, append: false, lastChunk: true, metadata: {} }));
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: final.status, metadata: {} }));
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId: "", status: status(TaskState.TASK_STATE_CANCELED), metadata: {} }));
  };

  /** Runs the invocation and returns the task as it ends. */
  private async run(request: RequestContext, task: Task): Promise<Task> {
    const { userMessage } = request;
    const metadata = Metadata.safeParse({ ...(userMessage.metadata ?? {}), a2a_task_id: task.id, a2a_context_id: task.contextId });
    if (!metadata.success) return failed(task, failure("invalid_request", `message.metadata: ${metadata.error.issues[0]?.message ?? "invalid"}`));
    const call: Call = {
      message: makeEnvelope({
        from: this.init.from,
        to: this.init.agent,
        role: "agent_call",
        content: partsToContent(userMessage.parts),
        metadata: metadata.data,
        traceparent: this.init.traceparent,
      }),
      deadline: deadlineAfter(null),
      path: [],
      pattern: "a2a",
    };
    let result: InvokeResult;
    try {
      result = await this.init.ports.invoke(call);
    } catch (error) {
      result = failure("agent_error", `invocation failed: ${(error as Error).message}`, { transient: true });
    }
    if (!result.ok) return failed(task, result);
    const parts = contentToParts(result.reply.content);
    return {
      ...task,
      status: status(TaskState.TASK_STATE_COMPLETED, agentMessage(task, parts, result.reply.metadata)),
      artifacts: [
        { artifactId: result.reply.id, name: "reply", description: `reply from ${this.init.agent}`, parts, metadata: result.reply.metadata, extensions: [] },
      ],
    };
  }
}

function status(state: TaskState, message?: Message): Task["status"] {
  return { state, message, timestamp: new Date().toISOString() };
}

function agentMessage(task: Task, parts: Part[], metadata: Record<string, unknown> = {}): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: task.contextId,
    taskId: task.id,
    role: Role.ROLE_AGENT,
    parts,
    metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A failed task whose status message says what Switchboard said, code first. */
function failed(task: Task, f: Failure): Task {
  const meta: Record<string, unknown> = { code: f.code, detail: f.detail };
  if (f.retry_after !== undefined) meta.retry_after = f.retry_after;
  return { ...task, status: status(TaskState.TASK_STATE_FAILED, agentMessage(task, contentToParts(`${f.code}: ${f.detail}`), meta)) };
}

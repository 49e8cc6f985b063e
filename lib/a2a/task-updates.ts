/**
 * A Switchboard stream (lib/streams/stream-event.ts) as A2A task events: each delta an
 * artifact-update of the one `reply` artifact (`append: true` after the first, so a client that
 * joins the parts has the answer so far), each step a `working` status update, then the whole
 * reply as the artifact's last chunk and the final status — `completed`, or `failed`/`canceled`
 * with the Switchboard code in the status message. A reply may shape its answer (./reply-shape.ts:
 * rejected, its own artifacts), and its metadata keys travel camelCase. A request waiting for input
 * (lib/protocols/request-store.ts) maps onto the task too: `input-required` with the question as
 * the status message and the request's id in `metadata.requestId`. The executor uses it live;
 * SubscribeToTask uses it on the stream the agent's object kept.
 */
import { type Artifact, type Message, type Part, Role, type Task, TaskState } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutionEvent } from "@a2a-js/sdk/server";
import type { Envelope } from "../message/envelope";
import { type Failure, failure } from "../message/errors";
import { failureOfProblem } from "../streams/sse-read";
import { chunkOf, type StoredEvent } from "../streams/stream-event";
import { contentToParts } from "./parts";
import { a2aMetadata, type ArtifactChunk, shapedArtifacts, shapeOf } from "./reply-shape";

/** What the task needs of a request waiting in the agent's object (lib/protocols/request-store.ts `RequestView`). */
export interface WaitingRequest {
  request_id: string;
  status: string;
  reply?: Envelope;
  error?: { code: string; detail: string };
  input_required?: { question: string };
}

const REQUEST_KEY = "requestId";

/** The request a task waiting for input waits as; null for any other task. */
export function waitingRequestOf(task: Task | undefined): string | null {
  const id = task?.metadata?.[REQUEST_KEY];
  return task?.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED && typeof id === "string" ? id : null;
}

/** Where a task's invocation runs: its stream (which names the object) and the message it answers. Kept in the task's metadata. */
export interface TaskRun {
  stream_id: string;
  message_id: string;
}

/** A2A's JSON is camelCase throughout, task metadata too. */
const RUN_KEY = "switchboardRun";

export function withRun(task: Task, run: TaskRun): Task {
  return { ...task, metadata: { ...task.metadata, [RUN_KEY]: { streamId: run.stream_id, messageId: run.message_id } } };
}

export function runOf(task: Task): TaskRun | null {
  const run = task.metadata?.[RUN_KEY] as { streamId?: unknown; messageId?: unknown } | undefined;
  return typeof run?.streamId === "string" && typeof run.messageId === "string" ? { stream_id: run.streamId, message_id: run.messageId } : null;
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
      case "reply":
        return this.replied(event.data);
      case "error":
        return this.fail(failureOfProblem(event.data));
      default:
        return [];
    }
  }

  /** The agent's reply ends the task: completed (or rejected, when it asks so) with its artifacts. */
  replied(reply: Envelope): AgentExecutionEvent[] {
    const { id: taskId, contextId } = this.current;
    let shape: ReturnType<typeof shapeOf>;
    try {
      shape = shapeOf(reply.metadata);
    } catch (error) {
      return this.fail(failure("agent_error", (error as Error).message, { transient: false }));
    }
    const metadata = a2aMetadata(reply.metadata);
    const parts = contentToParts(reply.content);
    const chunks: ArtifactChunk[] = shapedArtifacts(shape, reply.id, metadata) ?? [
      { artifact: this.artifact(parts, metadata), append: false, lastChunk: true },
    ];
    const state = shape.state === "rejected" ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_COMPLETED;
    this.current = { ...this.current, artifacts: joined(chunks), status: status(state, this.message(parts, metadata)) };
    return [
      ...chunks.map(({ artifact, append, lastChunk }) => AgentEvent.artifactUpdate({ taskId, contextId, artifact, append, lastChunk, metadata: {} })),
      AgentEvent.statusUpdate({ taskId, contextId, status: this.current.status, metadata: {} }),
    ];
  }

  /** The agent's reply as a Message answer (a reply shaped `{ "response": "message" }`); the task is completed behind it. */
  answeredWith(reply: Envelope): Message {
    const parts = contentToParts(reply.content);
    const message = { ...this.message(parts, a2aMetadata(reply.metadata)), taskId: "" };
    this.current = { ...this.current, status: status(TaskState.TASK_STATE_COMPLETED, message) };
    return message;
  }

  /** Where a waiting request stands after an attempt: it asks (again), it was answered, or it ended. */
  ofRequest(request: WaitingRequest): AgentExecutionEvent[] {
    this.current = { ...this.current, metadata: { ...this.current.metadata, [REQUEST_KEY]: request.request_id } };
    if (request.status === "replied" && request.reply) return this.replied(request.reply);
    if (request.status === "input_required") {
      const question = this.message(contentToParts(request.input_required?.question ?? "input required"), { [REQUEST_KEY]: request.request_id });
      this.current = { ...this.current, status: status(TaskState.TASK_STATE_INPUT_REQUIRED, question) };
      return [
        AgentEvent.statusUpdate({
          taskId: this.current.id,
          contextId: this.current.contextId,
          status: this.current.status,
          metadata: this.current.metadata ?? {},
        }),
      ];
    }
    // Answered, and its resumed attempt is to be retried through the queue: still working.
    if (request.status === "pending") return [];
    const error = request.error ?? { code: "agent_error", detail: request.status };
    return this.fail(failure(error.code as Failure["code"], error.detail));
  }

  /** The task ends with `f`: `canceled` for a cancelled call, else `failed`; the status message names the code. */
  fail(f: Failure): AgentExecutionEvent[] {
    const meta: Record<string, unknown> = { code: f.code, detail: f.detail };
    if (f.retry_after !== undefined) meta.retryAfter = f.retry_after;
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

/** The task's artifacts once every chunk arrived: an appended chunk adds its parts to its artifact. */
function joined(chunks: ArtifactChunk[]): Artifact[] {
  const byId = new Map<string, Artifact>();
  for (const { artifact, append } of chunks) {
    const before = byId.get(artifact.artifactId);
    byId.set(artifact.artifactId, append && before ? { ...before, parts: [...before.parts, ...artifact.parts] } : artifact);
  }
  return [...byId.values()];
}

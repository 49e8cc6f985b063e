/**
 * Batching for model agents with `batch` config: calls wait in this object's batch buffer (SQLite)
 * and one model call answers them all (lib/resilience/batcher.ts). This wires the batcher to the
 * object's deadline table (the flush alarm, kind `batch`), its model environment and message log.
 */
import type { Call } from "../../lib/message/call";
import type { Metadata } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { outputOf, runBatchPrompt } from "../../lib/model/model-agent";
import type { LogRow } from "../../lib/observability/message-log";
import { type AgentEntry, BatchConfig } from "../../lib/registry/entry";
import { BatchBuffer, type StoredItem } from "../../lib/resilience/batch-buffer";
import { flushRow, unclaimedRow } from "../../lib/observability/batch-log";
import { Batcher } from "../../lib/resilience/batcher";
import { withDeadline } from "../../lib/resilience/deadline-policy";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { modelEnv } from "./handler-context";

export interface BatchingDeps {
  sql: SqlStorage;
  env: Env;
  deadlines: DeadlineTable;
  /** The agent this object serves: the key of its `batch` deadline. */
  self: string;
  load(): AgentEntry | null;
  log(row: LogRow): void;
}

export class Batching {
  private readonly buffer: BatchBuffer;
  private readonly batcher: Batcher;

  constructor(private readonly deps: BatchingDeps) {
    const { deadlines, self } = deps;
    this.buffer = new BatchBuffer(deps.sql);
    this.batcher = new Batcher(this.buffer, {
      now: Date.now,
      schedule: (dueAt) => (dueAt === null ? Promise.resolve(deadlines.cancel("batch", self)) : deadlines.schedule("batch", self, dueAt)),
      callModel: (items) => this.callModel(items),
      flushed: (report) => deps.log(flushRow(self, report, Date.now())),
      unclaimed: (item, result) => deps.log(unclaimedRow(item, result, Date.now())),
    });
    deadlines.handle("batch", () => this.flushDue(deps.load()));
  }

  /** Items that were in a model call when the object was evicted wait again, and flush at once. */
  async recover(): Promise<void> {
    for (const agent of this.buffer.recoverInflight()) await this.deps.deadlines.schedule("batch", agent, Date.now());
  }

  /** A batching agent's execute step: buffer the call, wait for its own item's result. */
  async submit(entry: AgentEntry, call: Call, signal: AbortSignal): Promise<{ content: unknown; metadata?: Metadata }> {
    const { message } = call;
    const requestId = (message.metadata.request_id as string | undefined) ?? null;
    const item = {
      // A redelivered async request finds its earlier item (and result) instead of adding another.
      id: requestId ?? message.id,
      agent: entry.name,
      input: message.content,
      meta: { from: message.from, request_id: requestId, traceparent: message.trace.traceparent },
    };
    return outputOf(entry, await this.batcher.submit(item, entry.batch ?? BatchConfig.parse({}), signal));
  }

  /** A `batch` deadline is due: flush what waits, with the agent's batch config (the defaults once it is gone). */
  flushDue(entry: AgentEntry | null): Promise<void> {
    return this.batcher.flushDue(entry?.batch ?? BatchConfig.parse({}));
  }

  private async callModel(items: StoredItem[]): Promise<string> {
    const entry = this.deps.load();
    if (!entry) throw new SwitchboardError("agent_not_found", `agent ${items[0]?.agent} was deleted while messages waited in its batch`, { transient: false });
    return withDeadline(entry.limits.timeout_ms, `${entry.name} (batch model call)`, (signal) =>
      runBatchPrompt(entry.model, modelEnv(this.deps.env), items, signal),
    );
  }
}

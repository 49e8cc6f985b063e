/**
 * The batching coordinator an agent's Durable Object owns: callers submit items and wait; the
 * buffer (durable) flushes when full or when its deadline fires; one model call answers a whole
 * flush and each caller gets exactly its own item's result. Waiters are in memory; results are also
 * stored, so a flush after eviction still records them and a redelivered message picks its result up.
 */
import { failure, toFailure } from "../message/errors";
import { newId } from "../message/ids";
import type { BatchConfig } from "../registry/entry";
import type { BatchBuffer, ItemResult, StoredItem } from "./batch-buffer";
import { distributeAnswer, type FlushTrigger, flushAt, isFull, type ItemOutcome, shouldRetry } from "./batching";

export interface FlushReport {
  batch_id: string;
  trigger: FlushTrigger;
  size: number;
  /** How long the oldest item waited in the buffer. */
  waited_ms: number;
  model_ms: number;
  answered: number;
  retried: number;
  failed: number;
  /** The model call's failure, when it failed as a whole. */
  error?: { code: string; detail: string };
}

export interface BatcherPorts {
  now(): number;
  /** Point the buffer's deadline at `dueAt`, or clear it (null). */
  schedule(dueAt: number | null): Promise<void>;
  /** One model call for the items (bounded by its own timeout); resolves to the raw answer text. */
  callModel(items: StoredItem[]): Promise<string>;
  flushed(report: FlushReport): void;
  /** A result nobody waits for any more (caller timed out, or the object was evicted). */
  unclaimed(item: StoredItem, result: ItemResult): void;
}

export interface Submission {
  id: string;
  agent: string;
  input: unknown;
  meta: StoredItem["meta"];
}

export class Batcher {
  private readonly waiters = new Map<string, Set<(result: ItemResult) => void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly buffer: BatchBuffer,
    private readonly ports: BatcherPorts,
  ) {}

  /** Buffers the item (once per id) and resolves with its result. */
  async submit(item: Submission, config: BatchConfig, signal?: AbortSignal): Promise<ItemResult> {
    const existing = this.buffer.get(item.id);
    if (existing?.result) return existing.result;
    const result = new Promise<ItemResult>((resolve) => {
      const set = this.waiters.get(item.id) ?? new Set();
      set.add(resolve);
      this.waiters.set(item.id, set);
      // A caller that gives up stops waiting; its item stays buffered and is still answered and logged.
      signal?.addEventListener("abort", () => set.delete(resolve), { once: true });
    });
    if (!existing) this.buffer.add({ ...item, enqueued_at: this.ports.now() });
    await this.afterChange(config);
    return result;
  }

  /** The buffer's deadline fired: flush everything that waits, in batches of `size`. */
  async flushDue(config: BatchConfig): Promise<void> {
    const flushes: Promise<void>[] = [];
    for (let items = this.buffer.take(config.size); items.length > 0; items = this.buffer.take(config.size)) {
      flushes.push(this.run(items, "timeout", config));
    }
    await this.afterChange(config);
    await Promise.all(flushes);
  }

  /** Resolves when every flush started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async afterChange(config: BatchConfig): Promise<void> {
    while (isFull(this.buffer.pendingCount(), config)) this.track(this.run(this.buffer.take(config.size), "size", config));
    const oldest = this.buffer.oldestPending();
    await this.ports.schedule(oldest === null ? null : flushAt(oldest, config));
  }

  private track(flush: Promise<void>): void {
    this.running.add(flush);
    void flush.finally(() => this.running.delete(flush));
  }

  private async run(items: StoredItem[], trigger: FlushTrigger, config: BatchConfig): Promise<void> {
    if (items.length === 0) return;
    const batchId = newId("bat");
    const start = this.ports.now();
    this.buffer.countAttempt(items.map((i) => i.id));
    let outcomes: Map<string, ItemOutcome>;
    let error: FlushReport["error"];
    try {
      outcomes = distributeAnswer(items, await this.ports.callModel(items));
    } catch (thrown) {
      const f = toFailure(thrown);
      error = { code: f.code, detail: f.detail };
      outcomes = new Map();
      for (const item of items) this.finish(item, f);
    }
    const retry: string[] = [];
    let answered = 0;
    items.forEach((item, index) => {
      const outcome = outcomes.get(item.id);
      if (!outcome) return;
      if (outcome.ok) {
        answered++;
        this.finish(item, { ok: true, content: outcome.content, batch: { id: batchId, size: items.length, position: index + 1, trigger } });
      } else if (shouldRetry(outcome, item.attempts + 1)) retry.push(item.id);
      else this.finish(item, failure("agent_error", `${outcome.detail} (message ${item.id}, after ${item.attempts + 1} model calls)`, { transient: true }));
    });
    this.ports.flushed({
      batch_id: batchId,
      trigger,
      size: items.length,
      waited_ms: start - Math.min(...items.map((i) => i.enqueued_at)),
      model_ms: this.ports.now() - start,
      answered,
      retried: retry.length,
      failed: items.length - answered - retry.length,
      ...(error ? { error } : {}),
    });
    this.buffer.prune(this.ports.now());
    // Items the model skipped or garbled get one more call of their own, never another item's answer.
    if (retry.length > 0) await this.run(this.buffer.take(config.size, retry), "retry", config);
  }

  private finish(item: StoredItem, result: ItemResult): void {
    this.buffer.complete(item.id, result, this.ports.now());
    const waiters = this.waiters.get(item.id);
    this.waiters.delete(item.id);
    if (waiters && waiters.size > 0) for (const resolve of waiters) resolve(result);
    else this.ports.unclaimed(item, result);
  }
}

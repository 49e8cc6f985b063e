/**
 * An agent's observers and its events: the observer table in this object's SQLite, and fan-out of
 * each event as one FANOUT queue message per observer (lib/patterns/fanout.ts), logged here. The
 * home object owns the table; a sharded agent's other shards hold a copy, so any shard fans out
 * the events it is given or its handlers emit.
 */
import { utf8Exceeds } from "../../lib/message/byte-size";
import { type Result, failure } from "../../lib/message/errors";
import { deadLetteredEventRow, eventRow } from "../../lib/patterns/fanout-log";
import { type FanoutMessage, MAX_EVENT_BYTES, planFanout } from "../../lib/patterns/fanout";
import { sendBatched } from "../../lib/protocols/send-batched";
import { type EmitResult, type Observer, ObserverTable, type ObserverTarget } from "../../lib/patterns/observer";
import type { AgentEntry } from "../../lib/registry/entry";
import type { MessageLog } from "../../lib/observability/message-log";

export class Observers {
  private readonly table: ObserverTable;

  constructor(
    sql: SqlStorage,
    private readonly fanout: Queue,
    private readonly log: Pick<MessageLog, "append">,
  ) {
    this.table = new ObserverTable(sql);
  }

  /** The agent's observers, or null when there is no such agent (`entry` null). */
  list(entry: AgentEntry | null): Observer[] | null {
    return entry ? this.table.list() : null;
  }

  /** Attaches an observer (idempotent: the same target keeps its id; `created` is false then). */
  attach(name: string, entry: AgentEntry | null, target: ObserverTarget): Result<{ observer: Observer; created: boolean }> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const attached = this.table.attach(target);
    if ("full" in attached) return failure("invalid_request", `${name} already has the maximum number of observers`);
    return { ok: true, ...attached };
  }

  detach(entry: AgentEntry | null, id: string): boolean {
    return entry !== null && this.table.detach(id);
  }

  /** A shard: the home object's observers changed. */
  adopt(observers: Observer[]): void {
    this.table.replace(observers);
  }

  /** Fans an event of the agent out: one FANOUT queue message per observer. Returns once enqueued. */
  async emit(name: string, entry: AgentEntry | null, event: string, data: unknown, traceparent: string | null, path: string[]): Promise<Result<EmitResult>> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    // Bytes, as the queue counts them, and before anything is enqueued: a refused event sends nothing.
    if (utf8Exceeds(JSON.stringify(data ?? null), MAX_EVENT_BYTES)) return failure("payload_too_large", `event data is over ${MAX_EVENT_BYTES} bytes`);
    const { max_retries, retry_delay_ms, max_retry_delay_ms, timeout_ms } = entry.limits;
    const observers = this.table.list();
    const plan = planFanout({
      observed: name,
      event,
      data,
      observers,
      traceparent,
      path,
      policy: { max_retries, retry_delay_ms, max_retry_delay_ms, timeout_ms },
    });
    await sendBatched(this.fanout, plan.messages);
    this.log.append(eventRow(name, { event_id: plan.event_id, observers: observers.length, event, data, traceparent }));
    return { ok: true, event_id: plan.event_id, observers: observers.length, ...(entry.shards > 1 ? { shards: entry.shards } : {}) };
  }

  /** The fan-out consumer gave up on one delivery of the agent's event; kept in the log. */
  deadLettered(message: FanoutMessage, error: { code: string; detail: string }, attempts: number): void {
    this.log.append(deadLetteredEventRow(message, error, attempts));
  }
}

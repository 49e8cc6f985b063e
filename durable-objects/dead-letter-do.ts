/**
 * DeadLetterDO: one shard of the dead-letter store behind /dlq (`dlq`, `dlq#1` …; an agent's
 * letters live in the shard its name hashes to, lib/resilience/dead-letter-store.ts). Written only
 * when a message has exhausted its retries (never on the delivery hot path); a daily alarm prunes
 * entries past retention.
 */
import { DurableObject } from "cloudflare:workers";
import { DEAD_LETTER_SHARDS, parseObjectName } from "../lib/registry/shards";
import type { DeadLetter } from "../lib/resilience/dead-letter";
import { type DeadLetterApi, type DeadLetterQuery, deadLetterShard, newDeadLetterId } from "../lib/resilience/dead-letter-store";
import { type DeadLetterEntry, DeadLetterTable } from "../lib/resilience/dead-letter-table";
import { takeOverOnce } from "./handover";

const DAY_MS = 24 * 60 * 60 * 1000;

export class DeadLetterDO extends DurableObject<Env> implements DeadLetterApi {
  private readonly table: DeadLetterTable;
  private readonly shard: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new DeadLetterTable(ctx.storage.sql, newDeadLetterId);
    this.shard = parseObjectName(ctx.id.name ?? "dlq").shard;
    if (this.shard !== 0) {
      const home = deadLetterShard(env, 0);
      takeOverOnce(ctx, {
        take: async () => {
          this.table.takeOver(await home.handover(this.shard), Date.now());
          await this.keepPruning();
        },
        release: () => home.handedOver(this.shard),
      });
    }
  }

  async put(letter: DeadLetter): Promise<string> {
    const id = this.table.put(letter, Date.now());
    await this.keepPruning();
    return id;
  }

  get(id: string): DeadLetterEntry | null {
    return this.table.get(id);
  }

  list(query: DeadLetterQuery) {
    return this.table.list(query);
  }

  startReplay(id: string): DeadLetterEntry | null {
    return this.table.startReplay(id, Date.now());
  }

  startReplays(agent: string, limit: number, after?: string): { entries: DeadLetterEntry[]; remaining: number } {
    return this.table.startReplays(agent, limit, Date.now(), after);
  }

  abandonReplays(ids: readonly string[]): void {
    this.table.abandonReplays(ids, Date.now());
  }

  purge(agent: string): { deleted: number; replaying: number } {
    return this.table.purge(agent);
  }

  remove(id: string): boolean {
    return this.table.remove(id);
  }

  counts(): Record<string, number> {
    return this.table.countsByAgent(this.shard, DEAD_LETTER_SHARDS);
  }

  handover(shard: number): DeadLetterEntry[] {
    return this.table.handover(shard, DEAD_LETTER_SHARDS);
  }

  handedOver(shard: number): void {
    this.table.handedOver(shard, DEAD_LETTER_SHARDS);
  }

  override async alarm(): Promise<void> {
    this.table.prune(Date.now());
    if (this.table.count() > 0) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }

  private async keepPruning(): Promise<void> {
    if (this.table.count() > 0 && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }
}

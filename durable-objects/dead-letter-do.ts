/**
 * DeadLetterDO: the dead-letter store behind /dlq. Written only when a message has exhausted its
 * retries (never on the delivery hot path); a daily alarm prunes entries past retention.
 */
import { DurableObject } from "cloudflare:workers";
import type { DeadLetter } from "../lib/resilience/dead-letter";
import { type DeadLetterApi, type DeadLetterEntry, DeadLetterStore } from "../lib/resilience/dead-letter-store";

const DAY_MS = 24 * 60 * 60 * 1000;

export class DeadLetterDO extends DurableObject<Env> implements DeadLetterApi {
  private readonly store: DeadLetterStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeadLetterStore(ctx.storage.sql);
  }

  async put(letter: DeadLetter): Promise<string> {
    const id = this.store.put(letter, Date.now());
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
    return id;
  }

  get(id: string): DeadLetterEntry | null {
    return this.store.get(id);
  }

  list(options: { agent?: string; limit: number; cursor?: string }) {
    return this.store.list(options);
  }

  startReplay(id: string): DeadLetterEntry | null {
    return this.store.startReplay(id, Date.now());
  }

  remove(id: string): boolean {
    return this.store.remove(id);
  }

  counts(): Record<string, number> {
    return this.store.countsByAgent();
  }

  override async alarm(): Promise<void> {
    this.store.prune(Date.now());
    if (this.store.count() > 0) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }
}

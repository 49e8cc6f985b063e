/**
 * The dead-letter store behind /dlq, as its producers and readers see it. It is sharded by agent
 * over `DEAD_LETTER_SHARDS` objects (`durable-objects/dead-letter-do.ts`, one `DeadLetterTable`
 * each), so a mass failure across many agents spreads its writes, and an agent's letters all live
 * in the one shard its name hashes to: a per-agent listing asks that shard alone. A letter's id
 * names its shard (its last character), so reading, replaying or deleting one letter is one round
 * trip; the listing of every agent is one page merged newest first from every shard, and its
 * cursor is the last id listed.
 */
import { newId } from "../message/ids";
import { objectStub, type Remote } from "../registry/object-ids";
import { DEAD_LETTER_SHARDS, keyShard, shardObjectName } from "../registry/shards";
import { mergePages, type PageSource } from "../registry/sorted-merge";
import type { DeadLetter } from "./dead-letter";
import type { DeadLetterEntry } from "./dead-letter-table";

export type { DeadLetterEntry } from "./dead-letter-table";

export interface DeadLetterPage {
  entries: DeadLetterEntry[];
  /** The next page's `cursor`; null on the last page. */
  cursor: string | null;
}

export interface DeadLetterQuery {
  agent?: string;
  limit: number;
  /** Letters older than this id (the previous page's `cursor`). */
  cursor?: string;
}

/** One dead-letter shard, as the store and the other shards see it. */
export interface DeadLetterApi {
  put(letter: DeadLetter): Promise<string>;
  get(id: string): DeadLetterEntry | null;
  list(query: DeadLetterQuery): DeadLetterPage;
  startReplay(id: string): DeadLetterEntry | null;
  /** The oldest `limit` dead letters of `agent` after the letter `after`, marked as being replayed, and how many come after them. */
  startReplays(agent: string, limit: number, after?: string): { entries: DeadLetterEntry[]; remaining: number };
  abandonReplays(ids: readonly string[]): void;
  remove(id: string): boolean;
  /** Deletes `agent`'s dead letters, leaving those being replayed. */
  purge(agent: string): { deleted: number; replaying: number };
  /** Letters by agent, of the agents whose letters this shard holds. */
  counts(): Record<string, number>;
  /** Shard 0, while the single-object layout is taken apart: letters that belong to `shard`. */
  handover(shard: number): DeadLetterEntry[];
  handedOver(shard: number): void;
}

/** A dead-letter id as the API gives it: `dlq_`, 21 characters of time and randomness, and the shard (absent on letters from before sharding). */
export const DEAD_LETTER_ID = /^dlq_[0-9a-z]{21,22}$/;

/** The id of a new letter for `agent`, ending in the shard that holds it. */
export function newDeadLetterId(agent: string, now = Date.now()): string {
  return `${newId("dlq", now)}${keyShard(agent, DEAD_LETTER_SHARDS).toString(32)}`;
}

/** The shard a letter id names; null for an id from before sharding, which may be in any shard. */
export function shardOfLetterId(id: string): number | null {
  if (!DEAD_LETTER_ID.test(id) || id.length !== 26) return null;
  const shard = Number.parseInt(id.slice(-1), 32);
  return shard < DEAD_LETTER_SHARDS ? shard : null;
}

export function deadLetterShard(env: Pick<Env, "DEAD_LETTER_STORE">, shard: number): Remote<DeadLetterApi> {
  return objectStub(env.DEAD_LETTER_STORE, shardObjectName("dlq", shard));
}

export class DeadLetters {
  constructor(private readonly env: Pick<Env, "DEAD_LETTER_STORE">) {}

  /** Stores a letter in its agent's shard (updated in place when its id or `replay_of` is there). Returns the entry id. */
  put(letter: DeadLetter): Promise<string> {
    return this.agentShard(letter.agent).put(letter);
  }

  async get(id: string): Promise<DeadLetterEntry | null> {
    return this.byId(id, (shard) => shard.get(id));
  }

  /** Marks an entry as being replayed and returns it; null when there is no such entry. */
  async startReplay(id: string): Promise<DeadLetterEntry | null> {
    return this.byId(id, (shard) => shard.startReplay(id));
  }

  /** Marks the oldest `limit` dead letters of `agent` after the letter `after` as being replayed (one shard holds them all). */
  startReplays(agent: string, limit: number, after?: string): Promise<{ entries: DeadLetterEntry[]; remaining: number }> {
    return this.agentShard(agent).startReplays(agent, limit, after);
  }

  /** Replays that could not be sent: each entry is dead again. One call per shard the ids name (every shard for ids from before sharding). */
  async abandonReplays(ids: readonly string[]): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const id of ids) {
      const shard = shardOfLetterId(id);
      for (const k of shard === null ? this.shards().keys() : [shard]) byShard.set(k, [...(byShard.get(k) ?? []), id]);
    }
    await Promise.all([...byShard].map(([shard, some]) => deadLetterShard(this.env, shard).abandonReplays(some)));
  }

  /** Deletes `agent`'s dead letters (one shard holds them all), leaving those being replayed. */
  purge(agent: string): Promise<{ deleted: number; replaying: number }> {
    return this.agentShard(agent).purge(agent);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.byId(id, async (shard) => ((await shard.remove(id)) ? true : null))) ?? false;
  }

  /** A page newest first: one agent's from its shard, or every agent's merged from every shard. */
  async list(query: DeadLetterQuery): Promise<DeadLetterPage> {
    if (query.agent !== undefined) return this.agentShard(query.agent).list(query);
    const shards: PageSource<DeadLetterEntry>[] = this.shards().map((shard) => async (after, limit) => {
      const page = await shard.list({ limit, ...(after === undefined ? {} : { cursor: after }) });
      return { items: page.entries, more: page.cursor !== null };
    });
    const page = await mergePages(shards, { key: (e) => e.id, order: "desc", after: query.cursor, limit: query.limit });
    return { entries: page.items, cursor: page.last };
  }

  /** Letters by agent, over every shard (each counts only the agents it holds, so none is counted twice). */
  async counts(): Promise<Record<string, number>> {
    return Object.assign({}, ...(await Promise.all(this.shards().map((shard) => shard.counts()))));
  }

  private agentShard(agent: string): Remote<DeadLetterApi> {
    return deadLetterShard(this.env, keyShard(agent, DEAD_LETTER_SHARDS));
  }

  private shards(): Remote<DeadLetterApi>[] {
    return Array.from({ length: DEAD_LETTER_SHARDS }, (_, k) => deadLetterShard(this.env, k));
  }

  /** `read` on the shard the id names, or on every shard for an id from before sharding (the first answer that is not null). */
  private async byId<T>(id: string, read: (shard: Remote<DeadLetterApi>) => Promise<T | null>): Promise<T | null> {
    const shard = shardOfLetterId(id);
    if (shard !== null) return read(deadLetterShard(this.env, shard));
    if (!DEAD_LETTER_ID.test(id)) return null;
    const answers = await Promise.all(this.shards().map(read));
    return answers.find((answer) => answer !== null) ?? null;
  }
}

export function deadLetters(env: Pick<Env, "DEAD_LETTER_STORE">): DeadLetters {
  return new DeadLetters(env);
}

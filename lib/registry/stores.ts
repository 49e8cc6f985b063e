/**
 * The deployment's single-purpose objects, as their callers see them: the directory behind
 * `GET /agents`, the dead-letter store behind `/dlq`, and the shards of the trace index. Declared
 * here so Worker routes, consumers and agents' objects type their calls without importing the
 * Durable Object classes, which implement these interfaces.
 */
import type { Remote } from "../agents/agent-api";
import type { DeadLetter } from "../resilience/dead-letter";
import type { DeadLetterEntry } from "../resilience/dead-letter-store";
import type { AgentEntry } from "./entry";
import { objectStub } from "./object-ids";

export interface DirectoryApi {
  upsert(entry: AgentEntry): void;
  remove(name: string): void;
  list(): AgentEntry[];
}

export interface DeadLetterApi {
  put(letter: DeadLetter): Promise<string>;
  get(id: string): DeadLetterEntry | null;
  list(options: { agent?: string; limit: number; cursor?: string }): { entries: DeadLetterEntry[]; cursor: string | null };
  startReplay(id: string): DeadLetterEntry | null;
  remove(id: string): boolean;
  counts(): Record<string, number>;
}

export interface TraceIndexApi {
  /** Object `agent` (an agent or one of its shards) holds rows of each `[trace id, first seen]`. */
  note(agent: string, entries: Array<[string, string]>): void;
  agents(traceId: string): string[];
}

export function directory(env: Pick<Env, "DIRECTORY">): Remote<DirectoryApi> {
  return objectStub(env.DIRECTORY, "directory");
}

export function deadLetterStore(env: Pick<Env, "DEAD_LETTER_STORE">): Remote<DeadLetterApi> {
  return objectStub(env.DEAD_LETTER_STORE, "dlq");
}

/** The trace-index shard that lists the agents of the traces in it (lib/observability/trace-index.ts). */
export function traceIndex(env: Pick<Env, "TRACE">, shard: number): Remote<TraceIndexApi> {
  return objectStub(env.TRACE, `traces-${shard}`);
}

/**
 * The directory behind `GET /agents`, as its callers see it: written on PUT/DELETE, read on list,
 * never on the invoke path. It is sharded by name over `DIRECTORY_SHARDS` objects
 * (`durable-objects/directory-do.ts`), so writes at any rate spread evenly, and a listing is one
 * page merged from every shard in name order (./sorted-merge.ts), with the deployment's code
 * agents merged in as one more source. A page's cursor holds the last name it listed, so pages
 * stay in order while agents are added or removed between them: each later page lists the names
 * after it as they are then.
 */
import { z } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "./cursor";
import type { DirectoryPage, DirectoryQuery } from "./directory-table";
import { AgentKind, type AgentEntry, Word } from "./entry";
import { objectStub, type Remote } from "./object-ids";
import { DIRECTORY_SHARDS, keyShard, shardObjectName } from "./shards";
import { mergePages, type PageSource } from "./sorted-merge";

/** One directory shard, as the Worker and the other shards see it. */
export interface DirectoryApi {
  upsert(entry: AgentEntry): void;
  remove(name: string): void;
  /** The entries of `names` this shard holds. */
  get(names: string[]): AgentEntry[];
  page(query: DirectoryQuery): DirectoryPage;
  /** Shard 0, while the single-object layout is taken apart: rows set aside for `shard`. */
  handover(shard: number): AgentEntry[];
  handedOver(shard: number): void;
}

/** @default 100 */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;

/** `GET /agents` query: all optional; validated at the edge, the field named in any problem. */
export const ListAgentsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .default(DEFAULT_PAGE)
    .openapi({ description: `page size, 1…${MAX_PAGE}`, example: DEFAULT_PAGE }),
  cursor: z.string().max(2048).optional().openapi({ description: "next_cursor of the previous page" }),
  kind: AgentKind.optional(),
  capability: Word.optional(),
  prefix: z
    .string()
    .regex(/^[a-z0-9-]{1,63}$/, "prefix: the start of an agent name ([a-z0-9-], up to 63 characters)")
    .optional(),
});
export type ListAgentsQuery = z.infer<typeof ListAgentsQuery>;

export interface AgentListing {
  agents: AgentEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

const Position = z.object({ after: z.string().min(1).max(63) });

/** The shard object holding `name`'s entry. */
export function directoryShard(env: Pick<Env, "DIRECTORY">, shard: number): Remote<DirectoryApi> {
  return objectStub(env.DIRECTORY, shardObjectName("directory", shard));
}

export class Directory {
  constructor(
    private readonly env: Pick<Env, "DIRECTORY">,
    /** The deployment's code agents: always listed, under any stored overrides. */
    private readonly codeEntries: readonly AgentEntry[] = [],
  ) {}

  upsert(entry: AgentEntry): Promise<void> {
    return this.shardOf(entry.name).upsert(entry);
  }

  remove(name: string): Promise<void> {
    return this.shardOf(name).remove(name);
  }

  /** Whether `name` is a configured agent (code agents are known without asking): one shard's look-up. */
  async has(name: string): Promise<boolean> {
    return (await this.shardOf(name).get([name])).length > 0;
  }

  /** One page in name order; `query.cursor` is the previous page's `next_cursor`. */
  async list(query: ListAgentsQuery): Promise<AgentListing> {
    const after = query.cursor === undefined ? undefined : decodeCursor("agents", query.cursor, Position).after;
    const filter = { kind: query.kind, capability: query.capability, prefix: query.prefix };
    // A shard's rows stay JSON text through the merge: only the page's own rows are parsed.
    type Listed = { name: string; entry: AgentEntry | string; code: boolean };
    const shards: PageSource<Listed>[] = Array.from({ length: DIRECTORY_SHARDS }, (_, k) => async (from, limit) => {
      const page = await directoryShard(this.env, k).page({ ...filter, after: from, limit });
      return { items: page.items.map((row) => ({ name: row.name, entry: row.json, code: false })), more: page.more };
    });
    const code = [...this.codeEntries].filter((e) => matches(e, filter)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const codeSource: PageSource<Listed> = async (from, limit) => {
      const rest = code.filter((e) => from === undefined || e.name > from);
      return { items: rest.slice(0, limit).map((entry) => ({ name: entry.name, entry, code: true })), more: rest.length > limit };
    };
    // Shards first: a stored entry (a code agent's overrides) wins over the code agent's defaults.
    const page = await mergePages([...shards, codeSource], { key: (l) => l.name, order: "asc", after, limit: query.limit });
    const listed = page.items.map((l) => ({ code: l.code, entry: typeof l.entry === "string" ? (JSON.parse(l.entry) as AgentEntry) : l.entry }));
    const agents = await this.withoutOverridden(listed, filter.capability);
    return { agents, next_cursor: page.last === null ? null : encodeCursor("agents", { after: page.last }) };
  }

  /** Every entry matching `filter`, page after page: for a caller that needs them all (the MCP tool list), so its cost grows with the directory. */
  async *each(filter: Pick<ListAgentsQuery, "kind" | "capability" | "prefix"> = {}): AsyncGenerator<AgentEntry> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...filter, limit: MAX_PAGE, ...(cursor === undefined ? {} : { cursor }) });
      yield* page.agents;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Code agents listed by their defaults' capabilities whose stored overrides changed them: only
   * a capability filter can tell them apart, so only then are those (few) looked up.
   */
  private async withoutOverridden(items: Array<{ entry: AgentEntry; code: boolean }>, capability: string | undefined): Promise<AgentEntry[]> {
    const code = items.filter((i) => i.code).map((i) => i.entry.name);
    if (capability === undefined || code.length === 0) return items.map((i) => i.entry);
    const stored = (await Promise.all(code.map((name) => this.shardOf(name).get([name])))).flat();
    const dropped = new Set(stored.filter((e) => !e.capabilities.includes(capability)).map((e) => e.name));
    return items.filter((i) => !(i.code && dropped.has(i.entry.name))).map((i) => i.entry);
  }

  private shardOf(name: string): Remote<DirectoryApi> {
    return directoryShard(this.env, keyShard(name, DIRECTORY_SHARDS));
  }
}

function matches(entry: AgentEntry, filter: { kind?: string | undefined; capability?: string | undefined; prefix?: string | undefined }): boolean {
  return (
    (filter.kind === undefined || entry.kind === filter.kind) &&
    (filter.capability === undefined || entry.capabilities.includes(filter.capability)) &&
    (filter.prefix === undefined || entry.name.startsWith(filter.prefix))
  );
}

export function directory(env: Pick<Env, "DIRECTORY">, codeEntries: readonly AgentEntry[] = []): Directory {
  return new Directory(env, codeEntries);
}

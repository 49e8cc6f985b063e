/**
 * DirectoryDO: one shard of the index behind `GET /agents` (`directory`, `directory#1` …; an
 * agent's entry lives in the shard its name hashes to, lib/registry/directory.ts). Written on
 * PUT/DELETE, read page by page on list; never on the invoke path, which goes straight to the
 * target agent's own Durable Object.
 */
import { DurableObject } from "cloudflare:workers";
import type { AgentEntry } from "../lib/registry/entry";
import { type DirectoryApi, directoryShard } from "../lib/registry/directory";
import { type DirectoryPage, type DirectoryQuery, DirectoryTable } from "../lib/registry/directory-table";
import { DIRECTORY_SHARDS, parseObjectName } from "../lib/registry/shards";
import { takeOverOnce } from "./handover";

export class DirectoryDO extends DurableObject<Env> implements DirectoryApi {
  private readonly table: DirectoryTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new DirectoryTable(ctx.storage.sql);
    const shard = parseObjectName(ctx.id.name ?? "directory").shard;
    if (shard === 0) this.table.adoptLegacy(DIRECTORY_SHARDS);
    else {
      const home = directoryShard(env, 0);
      takeOverOnce(ctx, {
        take: async () => this.table.takeOver(await home.handover(shard)),
        release: () => home.handedOver(shard),
      });
    }
  }

  upsert(entry: AgentEntry): void {
    this.table.upsert(entry);
  }

  remove(name: string): void {
    this.table.remove(name);
  }

  get(names: string[]): AgentEntry[] {
    return this.table.get(names);
  }

  page(query: DirectoryQuery): DirectoryPage {
    return this.table.page(query);
  }

  handover(shard: number): AgentEntry[] {
    return this.table.handover(shard);
  }

  handedOver(shard: number): void {
    this.table.handedOver(shard);
  }
}

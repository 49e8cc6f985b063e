/**
 * The directory behind `GET /agents`, as its callers see it: written on PUT/DELETE, read on list,
 * never on the invoke path. `durable-objects/directory-do.ts` implements it.
 */
import type { AgentEntry } from "./entry";
import { objectStub, type Remote } from "./object-ids";

export interface DirectoryApi {
  upsert(entry: AgentEntry): void;
  remove(name: string): void;
  /** Whether `name` is a configured agent (code agents are known without asking). */
  has(name: string): boolean;
  list(): AgentEntry[];
}

export function directory(env: Pick<Env, "DIRECTORY">): Remote<DirectoryApi> {
  return objectStub(env.DIRECTORY, "directory");
}

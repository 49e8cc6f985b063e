/**
 * Whether a name is an agent, answered without the agent's own Durable Object: a code agent is
 * known from the deployment, a configured one from the directory (a single object that exists
 * anyway). Unauthenticated paths ask this first, so a request for a name that is no agent creates
 * and writes no object — an agent's object comes to exist by being called. Names found are
 * remembered per isolate for a minute; a name deleted meanwhile reaches an object that already
 * exists and answers 404.
 */
import { directory } from "./directory";

const KNOWN_TTL_MS = 60_000;
const MAX_REMEMBERED = 10_000;
const known = new Map<string, number>();

/** `codeAgents`: the deployment's code agents (anything with `has(name)`). */
export async function isKnownAgent(env: Pick<Env, "DIRECTORY">, codeAgents: { has(name: string): boolean }, name: string, now = Date.now()): Promise<boolean> {
  if (codeAgents.has(name)) return true;
  const until = known.get(name);
  if (until !== undefined && until > now) return true;
  if (!(await directory(env).has(name))) return false;
  if (known.size >= MAX_REMEMBERED) known.clear();
  known.set(name, now + KNOWN_TTL_MS);
  return true;
}

/** This isolate forgets `name` (it was deleted here). */
export function forgetKnownAgent(name: string): void {
  known.delete(name);
}

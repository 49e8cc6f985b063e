/**
 * Durable Object ids by name, cached per isolate. Stubs are I/O objects bound to the request that
 * created them, so only the part that is safe to share is kept, the id (`idFromName` hashes the
 * name), and every caller makes a fresh stub from it.
 */
/** The part of a `DurableObjectNamespace` used here (its generic stub type is too deep to map). */
interface Namespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): unknown;
}

const ids = new WeakMap<object, Map<string, DurableObjectId>>();

/** Names kept per namespace before the cache starts over. @default 10000 */
const MAX_CACHED = 10_000;

export function objectId(namespace: Namespace, name: string): DurableObjectId {
  let byName = ids.get(namespace);
  if (!byName) {
    byName = new Map();
    ids.set(namespace, byName);
  }
  let id = byName.get(name);
  if (!id) {
    id = namespace.idFromName(name);
    if (byName.size > MAX_CACHED) byName.clear();
    byName.set(name, id);
  }
  return id;
}

/**
 * An interface as its RPC stub presents it: every method answers a promise. Workers' generated stub
 * types cannot express JSON values typed `unknown` (message content), so callers use this view.
 */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** The stub of object `name` seen through `T`, the interface the object implements (RPC types cannot say `unknown`). */
export function objectStub<T>(namespace: Namespace, name: string): T {
  return namespace.get(objectId(namespace, name)) as T;
}

/**
 * Taking a store apart into shards, for the objects that used to be a single object (the
 * directory, the dead-letter store): the old object is shard 0 and keeps what hashes to it; every
 * other shard, once, on its first start and before it answers anything, takes over what shard 0
 * holds for it and then tells shard 0 to let go. Two steps, each recorded, so a shard that crashes
 * between them takes over again (its rows stay as they are) and shard 0 lets go only of what a
 * shard holds.
 */

/** Storage key: how far this shard is in taking its rows over from shard 0. */
const HANDOVER_KEY = "handover";

export interface Handover {
  /** Fetches this shard's rows from shard 0 and stores them. */
  take(): Promise<void>;
  /** Tells shard 0 this shard holds them now. */
  release(): Promise<void>;
}

/** Runs the handover of a shard other than 0 before its object answers its first call. */
export function takeOverOnce(ctx: DurableObjectState, handover: Handover): void {
  void ctx.blockConcurrencyWhile(async () => {
    const { kv } = ctx.storage;
    if (kv.get(HANDOVER_KEY) === "done") return;
    if (kv.get(HANDOVER_KEY) !== "taken") {
      await handover.take();
      kv.put(HANDOVER_KEY, "taken");
    }
    await handover.release();
    kv.put(HANDOVER_KEY, "done");
  });
}

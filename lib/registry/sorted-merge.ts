/**
 * One page of a listing merged from several sorted sources (the shards of a store): a k-way merge
 * that asks each source for a small batch first (about twice its fair share of the page) and asks
 * again only a source that ran dry while it still has more, so a page costs one round trip per
 * source in the common case and never reads more than `limit + 1` items from any one of them.
 *
 * Items with the same key are one item (the first source's wins): a store mid-migration, or a
 * code agent with stored overrides, may appear in two sources. The page ends after the key of its
 * last item, which is what a cursor holds; the next page asks every source for keys past it.
 */

/** A source answers up to `limit` items strictly after `after` in the listing's order, and whether more follow. */
export type PageSource<T> = (after: string | undefined, limit: number) => Promise<{ items: T[]; more: boolean }>;

export interface MergeOptions<T> {
  key(item: T): string;
  /** "asc" for names, "desc" for newest-first ids. */
  order: "asc" | "desc";
  /** Only items after this key (the previous page's last). */
  after?: string | undefined;
  limit: number;
}

export interface MergedPage<T> {
  items: T[];
  /** The key of the last item when more follow (a cursor's position), else null. */
  last: string | null;
}

interface Lane<T> {
  source: PageSource<T>;
  buffer: T[];
  more: boolean;
  after: string | undefined;
}

export async function mergePages<T>(sources: PageSource<T>[], options: MergeOptions<T>): Promise<MergedPage<T>> {
  const { key, limit } = options;
  const before = (a: string, b: string) => (options.order === "asc" ? a < b : a > b);
  const lanes: Lane<T>[] = sources.map((source) => ({ source, buffer: [], more: true, after: options.after }));
  const fill = async (lane: Lane<T>, count: number) => {
    const page = await lane.source(lane.after, count);
    lane.buffer.push(...page.items);
    lane.more = page.more && page.items.length > 0;
    const tail = page.items[page.items.length - 1];
    if (tail !== undefined) lane.after = key(tail);
  };
  const refillDry = (count: number) => Promise.all(lanes.filter((l) => l.buffer.length === 0 && l.more).map((l) => fill(l, count)));

  const share = Math.min(limit + 1, Math.ceil((limit + 1) / Math.max(1, lanes.length)) * 2 + 1);
  await Promise.all(lanes.map((lane) => fill(lane, share)));

  const items: T[] = [];
  let lastKey: string | null = null;
  /** Drops heads already emitted (the same key in another source); with `refill`, refills lanes that run dry first. */
  const skipSeen = async (refill: boolean) => {
    for (;;) {
      for (const lane of lanes) while (lastKey !== null && lane.buffer[0] !== undefined && key(lane.buffer[0]) === lastKey) lane.buffer.shift();
      if (!refill || !lanes.some((l) => l.buffer.length === 0 && l.more)) return;
      await refillDry(Math.min(limit + 1, Math.max(share, limit - items.length + 1)));
    }
  };
  while (items.length < limit) {
    // A dry lane that has more may hold the next item, so it is refilled before choosing.
    await skipSeen(true);
    let best: Lane<T> | null = null;
    for (const lane of lanes) {
      const head = lane.buffer[0];
      if (head === undefined) continue;
      const bestHead = best?.buffer[0];
      if (bestHead === undefined || before(key(head), key(bestHead))) best = lane;
    }
    const item = best?.buffer.shift();
    if (item === undefined) break;
    items.push(item);
    lastKey = key(item);
  }
  // Whether more follow needs no further round trip: a dry lane that has more says so itself.
  await skipSeen(false);
  const more = lanes.some((l) => l.buffer.length > 0 || l.more);
  return { items, last: more && lastKey !== null ? lastKey : null };
}

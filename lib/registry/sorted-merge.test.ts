import { describe, expect, it } from "vitest";
import { mergePages, type PageSource } from "./sorted-merge";

/** A sorted in-memory source that counts how often it is asked. */
function source(keys: string[], order: "asc" | "desc" = "asc") {
  const sorted = [...keys].sort();
  if (order === "desc") sorted.reverse();
  const calls: number[] = [];
  const fetch: PageSource<string> = async (after, limit) => {
    calls.push(limit);
    const rest = sorted.filter((k) => after === undefined || (order === "asc" ? k > after : k < after));
    return { items: rest.slice(0, limit), more: rest.length > limit };
  };
  return { fetch, calls };
}

async function pageThrough(sources: PageSource<string>[], limit: number, order: "asc" | "desc" = "asc"): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await mergePages(sources, { key: (k) => k, order, after, limit });
    pages.push(page.items);
    if (page.last === null) return pages;
    after = page.last;
  }
  throw new Error("did not end");
}

describe("mergePages", () => {
  it("merges sorted sources in order, each item once, and ends with a null position", async () => {
    const all = Array.from({ length: 250 }, (_, i) => `agent-${String(i).padStart(4, "0")}`);
    const lanes = [0, 1, 2, 3, 4].map((k) => source(all.filter((_, i) => i % 7 === k || (k === 4 && i % 7 > 4))));
    const pages = await pageThrough(
      lanes.map((l) => l.fetch),
      40,
    );
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((p) => p.length === 40)).toBe(true);
    expect(pages.at(-1)?.length).toBe(250 % 40);
  });

  it("asks each source for about twice its share, and never more than limit + 1", async () => {
    const lanes = Array.from({ length: 16 }, (_, k) => source(Array.from({ length: 50 }, (_, i) => `n${String(i * 16 + k).padStart(5, "0")}`)));
    const page = await mergePages(
      lanes.map((l) => l.fetch),
      { key: (k) => k, order: "asc", limit: 100 },
    );
    expect(page.items).toHaveLength(100);
    expect(lanes.every((l) => l.calls.length === 1 && (l.calls[0] ?? 0) <= 15)).toBe(true);
    // One dense source: it is asked again, for what the page still needs.
    const dense = source(Array.from({ length: 300 }, (_, i) => `a${String(i).padStart(4, "0")}`));
    const sparse = source(["z1", "z2"]);
    const skewed = await mergePages([dense.fetch, sparse.fetch], { key: (k) => k, order: "asc", limit: 100 });
    expect(skewed.items).toHaveLength(100);
    expect(Math.max(...dense.calls)).toBeLessThanOrEqual(101);
  });

  it("keeps the first source's item when two sources hold the same key", async () => {
    const a = source(["a", "c", "e"]);
    const b = source(["b", "c", "d"]);
    const tagged =
      (lane: typeof a, tag: string): PageSource<string> =>
      async (after, limit) => {
        const page = await lane.fetch(after?.split(":")[0], limit);
        return { ...page, items: page.items.map((k) => `${k}:${tag}`) };
      };
    const page = await mergePages([tagged(a, "a"), tagged(b, "b")], { key: (k) => k.split(":")[0] as string, order: "asc", limit: 10 });
    expect(page.items).toEqual(["a:a", "b:b", "c:a", "d:b", "e:a"]);
    expect(page.last).toBeNull();
  });

  it("merges newest first for descending keys", async () => {
    const pages = await pageThrough([source(["t05", "t01", "t09"], "desc").fetch, source(["t02", "t08"], "desc").fetch], 2, "desc");
    expect(pages).toEqual([["t09", "t08"], ["t05", "t02"], ["t01"]]);
  });
});

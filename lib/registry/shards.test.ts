import { describe, expect, it } from "vitest";
import { ShardHints } from "./shards";

describe("ShardHints", () => {
  it("keeps a flow key told by an async answer while other answers only renew the count, and forgets it with the count", () => {
    const hints = new ShardHints(30_000);
    expect(hints.route("hot", 0)).toEqual({ shards: 1 });
    hints.learn("hot", 0, 4, 0, { key: "metadata.tenant" });
    expect(hints.route("hot", 1)).toEqual({ shards: 4, flow: { key: "metadata.tenant" } });
    // A sync call's answer says nothing of flow: the flow hint stays, the count is renewed.
    hints.learn("hot", 2, 4, 20_000);
    expect(hints.route("hot", 40_000)).toEqual({ shards: 4, flow: { key: "metadata.tenant" } });
    // An async answer of an agent without flow clears it.
    hints.learn("hot", 1, 4, 40_000, null);
    expect(hints.route("hot", 40_001)).toEqual({ shards: 4, flow: undefined });
    // Expired, or the home object says it is not sharded: back to one shard, no flow.
    expect(hints.route("hot", 80_000)).toEqual({ shards: 1 });
    hints.learn("hot", 0, 4, 80_000, { key: "from" });
    hints.learn("hot", 0, undefined, 80_001);
    expect(hints.route("hot", 80_002)).toEqual({ shards: 1 });
  });
});

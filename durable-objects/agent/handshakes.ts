/**
 * Handshakes, both sides: as the target, negotiate and remember the caller as an inbound peer; as
 * the caller (ctx.handshake), ask the target and remember the answer as an outbound peer. Peers live
 * in this object's `peers` table; `require_handshake` agents consult it for every call. The home
 * object of a sharded agent answers handshakes and hands each inbound peer to its other shards, so
 * every shard admits the same callers.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import { type Result, failure } from "../../lib/message/errors";
import { type HandshakeOffer, type HandshakeResult, negotiate, type Peer, PeerStore, peerRecord } from "../../lib/protocols/handshake";
import type { AgentEntry } from "../../lib/registry/entry";

export class Handshakes {
  readonly peers: PeerStore;

  constructor(
    sql: SqlStorage,
    private readonly env: Env,
  ) {
    this.peers = new PeerStore(sql);
  }

  /** The target's side: negotiate, record the caller as a peer (on every shard), answer. */
  async answer(
    name: string,
    entry: AgentEntry | null,
    from: string,
    offer: Pick<HandshakeOffer, "version" | "capabilities">,
  ): Promise<Result<{ result: HandshakeResult }>> {
    if (!entry) return failure("agent_not_found", `no agent named ${name}`);
    const result = negotiate(entry, from, offer);
    const peer = peerRecord(from, "inbound", result, offer);
    this.peers.record(peer);
    // Awaited: the caller's next call may land on any shard.
    const ref = agentRef(this.env, name);
    await Promise.all(Array.from({ length: entry.shards - 1 }, (_, k) => ref.peer(k + 1).syncPeers([peer])));
    return { ok: true, result };
  }

  /** A shard: the home object's inbound peers. */
  sync(entry: AgentEntry | null, peers: Peer[]): void {
    if (entry) for (const peer of peers) if (peer.direction === "inbound") this.peers.record(peer);
  }

  /** The caller's side: remember the outcome of a handshake we made (only for agents that exist). */
  remember(entry: AgentEntry | null, peer: Peer): void {
    if (entry) this.peers.record(peer);
  }

  /** ctx.handshake: offer `self`'s version and capabilities to `to`, and remember its answer. */
  async offer(self: AgentEntry, to: string): Promise<Result<{ result: HandshakeResult }>> {
    const answered = await agentRef(this.env, to).client.handshake(self.name, { version: self.version, capabilities: self.capabilities });
    if (answered.ok) this.peers.record(peerRecord(to, "outbound", answered.result));
    return answered;
  }
}

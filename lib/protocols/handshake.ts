/**
 * Handshake (seed: HandshakeProtocol): before two agents talk, the caller offers its version and
 * capabilities; the target accepts when the semver majors match, the caller has every capability the
 * target `requires`, and the target's ACL allows the caller. The outcome is recorded on both sides
 * as a peer, and `require_handshake: true` agents refuse callers without an accepted one.
 */
import { z } from "@hono/zod-openapi";
import { AgentName } from "../message/envelope";
import type { AgentEntry } from "../registry/entry";
import { mayCall } from "../security/acl";

export const HandshakeOffer = z
  .strictObject({
    from: AgentName.optional(),
    version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/, "version must be semver, e.g. 1.0.0"),
    capabilities: z.array(z.string().min(1).max(128)).max(64).default([]),
  })
  .openapi("HandshakeOffer");
export type HandshakeOffer = z.infer<typeof HandshakeOffer>;

export interface HandshakeResult {
  protocol: "handshake";
  status: "accepted" | "rejected";
  version: string;
  capabilities: string[];
  reason?: string;
}

export interface Peer {
  agent: string;
  /** inbound: `agent` shook hands with us; outbound: we shook hands with `agent`. */
  direction: "inbound" | "outbound";
  status: "accepted" | "rejected";
  version: string;
  capabilities: string[];
  reason: string | null;
  at: string;
}

/**
 * The peer row one side of a handshake records about the other. `terms` are the other side's version
 * and capabilities: the offer when we answered (inbound), the answer when we asked (outbound).
 * @default terms = result
 */
export function peerRecord(
  agent: string,
  direction: Peer["direction"],
  result: HandshakeResult,
  terms: Pick<HandshakeResult, "version" | "capabilities"> = result,
  now = Date.now(),
): Peer {
  return {
    agent,
    direction,
    status: result.status,
    version: terms.version,
    capabilities: terms.capabilities,
    reason: result.reason ?? null,
    at: new Date(now).toISOString(),
  };
}

export function majorOf(version: string): number {
  return Number(version.split(".")[0]);
}

export function negotiate(target: AgentEntry, from: string, offer: Pick<HandshakeOffer, "version" | "capabilities">): HandshakeResult {
  const answer = { protocol: "handshake" as const, version: target.version, capabilities: target.capabilities };
  if (!mayCall(from, target)) return { ...answer, status: "rejected", reason: `${from} is not allowed by ${target.name}'s acl` };
  if (majorOf(offer.version) !== majorOf(target.version)) {
    return { ...answer, status: "rejected", reason: `major version ${majorOf(offer.version)} is incompatible with ${target.name} ${target.version}` };
  }
  const missing = target.requires.filter((c) => !offer.capabilities.includes(c));
  if (missing.length > 0) return { ...answer, status: "rejected", reason: `missing required capabilities: ${missing.join(", ")}` };
  return { ...answer, status: "accepted" };
}

export class PeerStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS peers (agent TEXT NOT NULL, direction TEXT NOT NULL, status TEXT NOT NULL, version TEXT NOT NULL,
      capabilities TEXT NOT NULL, reason TEXT, at TEXT NOT NULL, PRIMARY KEY (agent, direction))`);
  }

  record(peer: Peer): void {
    this.sql.exec(
      `INSERT INTO peers (agent, direction, status, version, capabilities, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(agent, direction) DO UPDATE SET status = excluded.status, version = excluded.version,
       capabilities = excluded.capabilities, reason = excluded.reason, at = excluded.at`,
      peer.agent,
      peer.direction,
      peer.status,
      peer.version,
      JSON.stringify(peer.capabilities),
      peer.reason,
      peer.at,
    );
  }

  /** Has `agent` an accepted inbound handshake with us? */
  accepted(agent: string): boolean {
    return this.sql.exec("SELECT 1 FROM peers WHERE agent = ? AND direction = 'inbound' AND status = 'accepted'", agent).toArray().length > 0;
  }

  list(): Peer[] {
    return this.sql
      .exec("SELECT * FROM peers ORDER BY agent, direction")
      .toArray()
      .map((r) => ({
        agent: String(r.agent),
        direction: r.direction as Peer["direction"],
        status: r.status as Peer["status"],
        version: String(r.version),
        capabilities: JSON.parse(String(r.capabilities)) as string[],
        reason: r.reason === null ? null : String(r.reason),
        at: String(r.at),
      }));
  }

  clear(): void {
    this.sql.exec("DELETE FROM peers");
  }
}

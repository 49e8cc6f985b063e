/** The limits of the HTTP contract, documented in docs/api.md; the body limit is configurable per deployment. */
export const LIMITS = {
  /** @default 262144 (256 KiB) */
  maxBodyBytes: 256 * 1024,
  /** @default 32 */
  maxJsonDepth: 32,
  /** @default 64 */
  maxMetadataKeys: 64,
  /** Longest string allowed in a metadata value, type or id. @default 4096 */
  maxMetadataString: 4096,
  /** Agents a chain, forward or ctx.invoke may pass through before 508. @default 16 */
  maxHops: 16,
  /** @default 300000 */
  maxTimeoutMs: 300_000,
  /** @default 30000 */
  defaultTimeoutMs: 30_000,
  /** The furthest ahead `deliver_at` / `delay_ms` may schedule a message. @default 365 days */
  maxDelayMs: 365 * 24 * 60 * 60 * 1000,
  /** Rows kept in each agent's message log. @default 1000 */
  logRows: 1000,
} as const;

export const AGENT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Names no agent may have: they name principals. An agent called `admin` would share the admin's
 * idempotency scope and be mistaken for it wherever a principal is written down; `webhook` is the
 * principal a verified webhook acts as.
 */
export const RESERVED_AGENT_NAMES: ReadonlySet<string> = new Set(["admin", "webhook"]);

export function isAgentName(name: string): boolean {
  return AGENT_NAME.test(name) && !RESERVED_AGENT_NAMES.has(name);
}

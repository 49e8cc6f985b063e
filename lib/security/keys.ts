/**
 * API keys and principals. `SWITCHBOARD_API_KEYS` holds `principal=key` pairs; we keep only the
 * SHA-256 of each key and compare digests in constant time, so neither timing nor a heap dump of
 * the parsed table reveals a key, and no key is ever logged. A key may be followed by the browser
 * origins it may be used from (`agent:web=sk_web… https://app.example.com https://*.example.com`):
 * keys never hold whitespace (a Bearer header could not carry one), so the first space ends the key.
 */
import { isAgentName } from "../message/limits";
import { type OriginPattern, parseOriginList } from "./origins";

export type Principal = { kind: "admin" } | { kind: "agent"; agent: string };

/** Who a key is, and the browser origins it is limited to (null: not limited). */
export interface KeyIdentity {
  principal: Principal;
  origins: readonly OriginPattern[] | null;
}

interface KeyRecord extends KeyIdentity {
  digest: Uint8Array;
}

const encoder = new TextEncoder();
let cached: { source: string; records: Promise<KeyRecord[]> } | null = null;

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Parses a principal name: `admin` or `agent:<name>`. Pairs with anything else are skipped. A principal may have several keys (rotation). */
export function parsePrincipal(text: string): Principal | null {
  if (text === "admin") return { kind: "admin" };
  const agent = text.startsWith("agent:") ? text.slice("agent:".length) : null;
  return agent !== null && isAgentName(agent) ? { kind: "agent", agent } : null;
}

function parseKeys(source: string): Promise<KeyRecord[]> {
  const pairs = source
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .flatMap((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) return [];
      const principal = parsePrincipal(pair.slice(0, eq).trim());
      const [key, ...origins] = pair
        .slice(eq + 1)
        .trim()
        .split(/\s+/);
      // Entries that are not origins allow nothing: a key given origins is never less limited for a typo.
      return principal && key ? [{ principal, key, origins: origins.length ? parseOriginList(origins.join(" ")).patterns : null }] : [];
    });
  return Promise.all(pairs.map(async ({ key, ...identity }) => ({ ...identity, digest: await sha256(key) })));
}

function records(source: string): Promise<KeyRecord[]> {
  if (cached?.source !== source) cached = { source, records: parseKeys(source) };
  return cached.records;
}

function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(a, b);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Who a bearer key is, or null. Every record is compared, match or not. */
export async function identify(source: string | undefined, key: string): Promise<KeyIdentity | null> {
  if (!source || !key) return null;
  const digest = await sha256(key);
  let found: KeyIdentity | null = null;
  for (const record of await records(source)) {
    if (equalDigests(record.digest, digest) && found === null) found = { principal: record.principal, origins: record.origins };
  }
  return found;
}

/** The principal a bearer key belongs to, or null. */
export async function authenticate(source: string | undefined, key: string): Promise<Principal | null> {
  return (await identify(source, key))?.principal ?? null;
}

export function bearerKey(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** The `from` of messages this principal sends: its agent name, or null for admin. */
export function senderOf(principal: Principal): string | null {
  return principal.kind === "agent" ? principal.agent : null;
}

export function principalLabel(principal: Principal): string {
  return principal.kind === "admin" ? "admin" : `agent:${principal.agent}`;
}

/**
 * MCP session ids. Switchboard's MCP endpoint is stateless per request (docs/mcp.md, "Sessions"):
 * the session id it answers `initialize` with is a token that proves itself, not a row somewhere,
 * so an unknown or forged id is refused (404, "Session not found") without any lookup, and no
 * object is ever created for one. It is `mcp1.<nonce>.<expires>.<mac>`, with mac = HMAC-SHA256
 * keyed by the caller's own API key: a session is only valid with the key that opened it, and dies
 * when that key is rotated out.
 */
import { base64url, hmacMac, sameMac } from "../security/hmac-mac";

/** @default 24 hours */
export const MCP_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

const TOKEN = /^mcp1\.([A-Za-z0-9_-]{22})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/;

function mac(key: string, nonce: string, expires: number): Promise<string> {
  return hmacMac(key, `switchboard-mcp-session.v1.${nonce}.${expires}`);
}

/** A new session id for the caller holding `key`. */
export async function issueMcpSession(key: string, now = Date.now(), ttlMs = MCP_SESSION_TTL_MS): Promise<string> {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const expires = now + ttlMs;
  return `mcp1.${nonce}.${expires}.${await mac(key, nonce, expires)}`;
}

/** Whether `token` is a live session id opened with `key`. Constant-time in the mac. */
export async function verifyMcpSession(token: string, key: string, now = Date.now()): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match) return false;
  const [, nonce = "", expiresText = "", given = ""] = match;
  const expires = Number(expiresText);
  if (!(expires > now)) return false;
  return sameMac(await mac(key, nonce, expires), given);
}

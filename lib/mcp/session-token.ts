/**
 * MCP session ids. Switchboard's MCP endpoint is stateless per request (docs/mcp.md, "Sessions"):
 * the session id it answers `initialize` with is a token that proves itself, not a row somewhere,
 * so an unknown or forged id is refused (404, "Session not found") without any lookup, and no
 * object is ever created for one. It is `mcp1.<nonce>.<expires>.<mac>`, with mac = HMAC-SHA256
 * keyed by the caller's own API key: a session is only valid with the key that opened it, and dies
 * when that key is rotated out.
 */
const encoder = new TextEncoder();

/** @default 24 hours */
export const MCP_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

const TOKEN = /^mcp1\.([A-Za-z0-9_-]{22})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/;

function b64url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function mac(key: string, nonce: string, expires: number): Promise<string> {
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return b64url(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(`switchboard-mcp-session.v1.${nonce}.${expires}`)));
}

/** A new session id for the caller holding `key`. */
export async function issueMcpSession(key: string, now = Date.now(), ttlMs = MCP_SESSION_TTL_MS): Promise<string> {
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(16)));
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
  const expected = await mac(key, nonce, expires);
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}

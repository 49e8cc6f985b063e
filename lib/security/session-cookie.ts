/**
 * Browser sessions for the dashboard and docs. `POST /dashboard/login` with a valid API key sets an
 * HttpOnly, SameSite=Strict cookie holding `v1.<principal>.<expires>.<mac>`, where mac is
 * HMAC-SHA256 keyed by that API key. The key itself never leaves the login form: the cookie cannot
 * be turned back into a key, expires on its own, and dies when the key is rotated out of
 * `SWITCHBOARD_API_KEYS`.
 */
import { hmacMac, sameMac } from "./hmac-mac";
import { parsePrincipal, type Principal, principalLabel } from "./keys";

export const SESSION_COOKIE = "switchboard_session";
/** @default 12 hours */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function mac(key: string, label: string, expires: number): Promise<string> {
  return hmacMac(key, `switchboard-session.v1.${label}.${expires}`);
}

/** The keys configured for one principal label (`admin`, `agent:planner`). */
function keysOf(source: string, label: string): string[] {
  return source
    .split(",")
    .map((pair) => pair.trim())
    .flatMap((pair) => {
      const eq = pair.indexOf("=");
      return eq > 0 && pair.slice(0, eq).trim() === label && pair.slice(eq + 1).trim() ? [pair.slice(eq + 1).trim()] : [];
    });
}

/** A session token for an authenticated principal and the key it logged in with. */
export async function issueSession(principal: Principal, key: string, now = Date.now(), ttlMs = SESSION_TTL_MS): Promise<string> {
  const label = principalLabel(principal);
  const expires = now + ttlMs;
  return `v1.${label}.${expires}.${await mac(key, label, expires)}`;
}

/** The principal a session token stands for, or null (malformed, expired, or its key is gone). */
export async function verifySession(source: string | undefined, token: string, now = Date.now()): Promise<Principal | null> {
  const match = /^v1\.((?:admin|agent:[a-z0-9][a-z0-9-]{0,62}))\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!source || !match) return null;
  const [, label = "", expiresText = "", given = ""] = match;
  const expires = Number(expiresText);
  if (!(expires > now)) return null;
  const principal = parsePrincipal(label);
  if (!principal) return null;
  let valid = false;
  for (const key of keysOf(source, label)) if (sameMac(await mac(key, label, expires), given)) valid = true;
  return valid ? principal : null;
}

/** `name=value` from a Cookie header. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(token: string, secure: boolean, maxAgeSeconds = SESSION_TTL_MS / 1000): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}

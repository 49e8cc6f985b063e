/**
 * The MAC of Switchboard's self-proving tokens (the dashboard's session cookie, MCP session ids):
 * HMAC-SHA256 keyed by the caller's API key, base64url without padding, and a comparison that
 * takes the same time wherever the strings differ.
 */
const encoder = new TextEncoder();

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** HMAC-SHA256 of `text` under `key`, as 43 base64url characters. */
export async function hmacMac(key: string, text: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(text)));
}

/** Whether two MACs are equal, in time that depends only on their lengths. */
export function sameMac(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/**
 * Outbound signing with Standard Webhooks: every HTTP delivery (remote agents, reply_to URLs,
 * observer URLs) carries `webhook-id`, `webhook-timestamp` and `webhook-signature`, so a receiver
 * can verify it with any Standard Webhooks library and the shared `whsec_…` secret.
 *
 * The signature is computed with WebCrypto's HMAC (native in the runtime, its key imported once per
 * secret) rather than the `standardwebhooks` signer, which hashes in JavaScript: that was about 4%
 * of an async delivery's CPU. The headers are byte for byte the library's (signing.test.ts checks
 * it against the library), and the library stays the one that decides what a valid secret is and
 * that verifies what we receive (./webhook-verify.ts) and what receivers get (the tests).
 */
import { Webhook } from "standardwebhooks";

/** At most this many secrets are cached: per-agent secrets make the set open-ended, a small cache is enough. */
const CACHED_SECRETS = 256;
const PREFIX = "whsec_";

const signers = new Map<string, Webhook>();
const keys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

/** A cached Standard Webhooks signer for `secret`; throws when the secret is not valid base64. */
export function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    webhook = new Webhook(secret);
    if (signers.size >= CACHED_SECRETS) signers.clear();
    signers.set(secret, webhook);
  }
  return webhook;
}

/** The HMAC-SHA256 key of `secret` (its base64 after `whsec_`), imported once; throws as `signer` does for a bad secret. */
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    // The library's parse first: a secret it refuses is refused here the same way.
    signer(secret);
    const raw = Uint8Array.from(atob(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret), (c) => c.charCodeAt(0));
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keys.size >= CACHED_SECRETS) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Headers for one delivery; none when no secret is configured. */
export async function signatureHeaders(secret: string | undefined, id: string, body: string, now: Date = new Date()): Promise<Record<string, string>> {
  if (!secret) return {};
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`${id}.${timestamp}.${body}`));
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${base64(mac)}` };
}

/** Verifies Standard Webhooks headers; throws when the signature or timestamp (±5 min) is bad. */
export function verifySignature(secret: string, body: string, headers: Record<string, string>): unknown {
  return signer(secret).verify(body, headers);
}

/**
 * Outbound signing with Standard Webhooks: every HTTP delivery (remote agents, reply_to URLs,
 * observer URLs) carries `webhook-id`, `webhook-timestamp` and `webhook-signature`, so a receiver
 * can verify it with any Standard Webhooks library and the shared `whsec_…` secret.
 */
import { Webhook } from "standardwebhooks";

const signers = new Map<string, Webhook>();

/** A cached Standard Webhooks signer for `secret`; throws when the secret is not valid base64. */
export function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    webhook = new Webhook(secret);
    // Per-agent secrets make the set open-ended; a small cache is enough.
    if (signers.size >= 256) signers.clear();
    signers.set(secret, webhook);
  }
  return webhook;
}

/** Headers for one delivery; none when no secret is configured. */
export function signatureHeaders(secret: string | undefined, id: string, body: string, now: Date = new Date()): Record<string, string> {
  if (!secret) return {};
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": signer(secret).sign(id, now, body),
  };
}

/** Verifies Standard Webhooks headers; throws when the signature or timestamp (±5 min) is bad. */
export function verifySignature(secret: string, body: string, headers: Record<string, string>): unknown {
  return signer(secret).verify(body, headers);
}

/**
 * Verifies inbound webhooks against a raw body: Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`), GitHub (`X-Hub-Signature-256`) and Stripe
 * (`Stripe-Signature: t=…,v1=…`). Pure: the clock is injected, secrets are passed in, nothing is
 * stored here. Signatures are compared in constant time; a timestamp more than 5 minutes from now
 * is stale.
 *
 * The replay id of each delivery is derived from what the sender signed, never from an unsigned
 * header an attacker could change: Standard Webhooks sign their `webhook-id`; GitHub signs only
 * the body, so its id is the signature itself (the same body is the same delivery, whatever
 * `X-GitHub-Delivery` says); Stripe's is the event's `id` from the signed body, else the signature
 * that matched.
 */
import { signer } from "./signing";

export const WEBHOOK_TOLERANCE_S = 5 * 60;
/** The inbound sources, each verified only by the agent's own `webhook_secrets.<source>`. */
export const WEBHOOK_SOURCES = ["standard", "github", "stripe"] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

export interface VerifiedWebhook {
  ok: true;
  /** Replay key, namespaced by source. */
  id: string;
  /** Provider event name, when the provider says it (GitHub `X-GitHub-Event`, Stripe `type`). */
  event: string | null;
  /** How long the replay key must be remembered, ms: beyond every moment the signature is still fresh. */
  remember_ms: number;
  /** Index in `secrets` of the secret that verified it: replays are refused per secret (lib/security/replay-scope.ts). */
  secret: number;
  /** GitHub's `X-GitHub-Delivery`, for people reading the message (not signed, so never a replay key). */
  delivery?: string;
}
export type WebhookVerification = VerifiedWebhook | { ok: false; detail: string };

/** Timestamped ids must outlive the ±5 min window: 15 min. GitHub signs no timestamp, so its ids are kept a day. */
export const REMEMBER_TIMESTAMPED_MS = 15 * 60 * 1000;
export const REMEMBER_UNTIMESTAMPED_MS = 24 * 60 * 60 * 1000;

const encoder = new TextEncoder();

function reject(detail: string): WebhookVerification {
  return { ok: false, detail };
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

function freshness(timestamp: string | undefined, nowMs: number): string | null {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return "missing or malformed timestamp";
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  return skew > WEBHOOK_TOLERANCE_S ? `timestamp is ${Math.round(skew)} s away from now; the tolerance is ${WEBHOOK_TOLERANCE_S} s` : null;
}

/** Standard Webhooks: `v1,<base64 HMAC>` entries over `id.timestamp.body`; any of `secrets` may match (rotation). */
export function verifyStandard(secrets: string[], body: string, headers: Headers, nowMs: number): WebhookVerification {
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp") ?? undefined;
  const signatures = headers.get("webhook-signature");
  if (!id || !signatures) return reject("missing webhook-id, webhook-timestamp or webhook-signature");
  if (id.length > 256 || /\p{Cc}/u.test(id)) return reject("webhook-id must be at most 256 printable characters");
  const stale = freshness(timestamp, nowMs);
  if (stale) return reject(stale);
  const offered = signatures.split(" ").flatMap((s) => (s.startsWith("v1,") ? [s.slice(3)] : []));
  for (const [index, secret] of secrets.entries()) {
    let expected: string;
    try {
      expected = signer(secret)
        .sign(id, new Date(Number(timestamp) * 1000), body)
        .slice(3);
    } catch {
      continue; // a secret that is not valid base64 verifies nothing
    }
    if (offered.some((sig) => constantTimeEqual(sig, expected))) {
      return { ok: true, id: `standard:${id}`, event: null, remember_ms: REMEMBER_TIMESTAMPED_MS, secret: index };
    }
  }
  return reject("no webhook-signature matches");
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC of the body>`. The replay id is that signature:
 * GitHub signs nothing else, so a fresh `X-GitHub-Delivery` must not make an old body new again.
 */
export async function verifyGithub(secrets: string[], body: string, headers: Headers): Promise<WebhookVerification> {
  const signature = headers.get("x-hub-signature-256");
  const delivery = headers.get("x-github-delivery");
  if (!signature?.startsWith("sha256=") || !delivery) return reject("missing X-Hub-Signature-256 (sha256=…) or X-GitHub-Delivery");
  if (delivery.length > 256 || /\p{Cc}/u.test(delivery)) return reject("X-GitHub-Delivery must be at most 256 printable characters");
  for (const [index, secret] of secrets.entries()) {
    const expected = await hmacHex(secret, body);
    if (constantTimeEqual(signature.slice(7).toLowerCase(), expected)) {
      return { ok: true, id: `github:${expected}`, event: headers.get("x-github-event"), remember_ms: REMEMBER_UNTIMESTAMPED_MS, secret: index, delivery };
    }
  }
  return reject("X-Hub-Signature-256 does not match");
}

/**
 * Stripe: `Stripe-Signature: t=<s>,v1=<hex HMAC of "t.body">[,v1=…]`. The replay id is the event's
 * `id` (signed, inside the body), else the signature that matched — never an offered one, which
 * the sender could vary by prepending a bogus `v1=`.
 */
export async function verifyStripe(secrets: string[], body: string, headers: Headers, nowMs: number): Promise<WebhookVerification> {
  const header = headers.get("stripe-signature");
  if (!header) return reject("missing Stripe-Signature");
  const parts = header.split(",").map((p) => p.trim().split("="));
  const timestamp = parts.find(([k]) => k === "t")?.[1];
  const offered = parts.flatMap(([k, v]) => (k === "v1" && v ? [v.toLowerCase()] : []));
  const stale = freshness(timestamp, nowMs);
  if (stale) return reject(stale);
  if (offered.length === 0) return reject("Stripe-Signature has no v1 signature");
  for (const [index, secret] of secrets.entries()) {
    const expected = await hmacHex(secret, `${timestamp}.${body}`);
    if (offered.some((sig) => constantTimeEqual(sig, expected))) {
      const event = stripeEvent(body);
      return { ok: true, id: `stripe:${event.id ?? `${timestamp}.${expected}`}`, event: event.type, remember_ms: REMEMBER_TIMESTAMPED_MS, secret: index };
    }
  }
  return reject("no Stripe-Signature v1 matches");
}

function stripeEvent(body: string): { id: string | null; type: string | null } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; type?: unknown };
    const text = (v: unknown) => (typeof v === "string" && v.length <= 256 && !/\p{Cc}/u.test(v) ? v : null);
    return { id: text(parsed?.id), type: text(parsed?.type) };
  } catch {
    return { id: null, type: null };
  }
}

/** `secret` in the answer indexes `secrets`; a source with no secret is refused. */
export function verifyWebhook(source: WebhookSource, secrets: string[], body: string, headers: Headers, nowMs: number): Promise<WebhookVerification> {
  if (secrets.length === 0 || secrets.some((s) => !s)) return Promise.resolve(reject(`no ${source} webhook secret is configured for this agent`));
  if (source === "github") return verifyGithub(secrets, body, headers);
  if (source === "stripe") return verifyStripe(secrets, body, headers, nowMs);
  return Promise.resolve(verifyStandard(secrets, body, headers, nowMs));
}

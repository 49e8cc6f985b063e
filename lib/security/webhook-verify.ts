/**
 * Verifies inbound webhooks against a raw body: Standard Webhooks (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`), GitHub (`X-Hub-Signature-256`, replay id from
 * `X-GitHub-Delivery`) and Stripe (`Stripe-Signature: t=…,v1=…`, replay id from the event id).
 * Pure: the clock is injected, secrets are passed in, nothing is stored here. Signatures are
 * compared in constant time; a timestamp more than 5 minutes from now is stale.
 */
import { signer } from "./signing";

export const WEBHOOK_TOLERANCE_S = 5 * 60;
export type WebhookSource = "standard" | "github" | "stripe";

export interface VerifiedWebhook {
  ok: true;
  /** Replay key, namespaced by source. */
  id: string;
  /** Provider event name, when the provider says it (GitHub `X-GitHub-Event`, Stripe `type`). */
  event: string | null;
  /** How long the replay key must be remembered, ms: beyond every moment the signature is still fresh. */
  remember_ms: number;
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
  for (const secret of secrets) {
    let expected: string;
    try {
      expected = signer(secret)
        .sign(id, new Date(Number(timestamp) * 1000), body)
        .slice(3);
    } catch {
      continue; // a misconfigured deployment secret verifies nothing
    }
    if (offered.some((sig) => constantTimeEqual(sig, expected))) {
      return { ok: true, id: `standard:${id}`, event: null, remember_ms: REMEMBER_TIMESTAMPED_MS };
    }
  }
  return reject("no webhook-signature matches");
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC of the body>`; `X-GitHub-Delivery` is the replay id. */
export async function verifyGithub(secrets: string[], body: string, headers: Headers): Promise<WebhookVerification> {
  const signature = headers.get("x-hub-signature-256");
  const delivery = headers.get("x-github-delivery");
  if (!signature?.startsWith("sha256=") || !delivery) return reject("missing X-Hub-Signature-256 (sha256=…) or X-GitHub-Delivery");
  if (delivery.length > 256 || /\p{Cc}/u.test(delivery)) return reject("X-GitHub-Delivery must be at most 256 printable characters");
  for (const secret of secrets) {
    if (constantTimeEqual(signature.slice(7).toLowerCase(), await hmacHex(secret, body))) {
      return { ok: true, id: `github:${delivery}`, event: headers.get("x-github-event"), remember_ms: REMEMBER_UNTIMESTAMPED_MS };
    }
  }
  return reject("X-Hub-Signature-256 does not match");
}

/** Stripe: `Stripe-Signature: t=<s>,v1=<hex HMAC of "t.body">[,v1=…]`; the event's `id` is the replay id. */
export async function verifyStripe(secrets: string[], body: string, headers: Headers, nowMs: number): Promise<WebhookVerification> {
  const header = headers.get("stripe-signature");
  if (!header) return reject("missing Stripe-Signature");
  const parts = header.split(",").map((p) => p.trim().split("="));
  const timestamp = parts.find(([k]) => k === "t")?.[1];
  const offered = parts.flatMap(([k, v]) => (k === "v1" && v ? [v.toLowerCase()] : []));
  const stale = freshness(timestamp, nowMs);
  if (stale) return reject(stale);
  if (offered.length === 0) return reject("Stripe-Signature has no v1 signature");
  for (const secret of secrets) {
    const expected = await hmacHex(secret, `${timestamp}.${body}`);
    if (offered.some((sig) => constantTimeEqual(sig, expected))) {
      const event = stripeEvent(body);
      return { ok: true, id: `stripe:${event.id ?? `${timestamp}.${offered[0]}`}`, event: event.type, remember_ms: REMEMBER_TIMESTAMPED_MS };
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

export function verifyWebhook(source: WebhookSource, secrets: string[], body: string, headers: Headers, nowMs: number): Promise<WebhookVerification> {
  const usable = secrets.filter(Boolean);
  if (usable.length === 0) return Promise.resolve(reject(`no ${source} webhook secret is configured for this agent`));
  if (source === "github") return verifyGithub(usable, body, headers);
  if (source === "stripe") return verifyStripe(usable, body, headers, nowMs);
  return Promise.resolve(verifyStandard(usable, body, headers, nowMs));
}

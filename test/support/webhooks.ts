/** Signs test webhooks the way each provider does, so tests exercise the real verifiers. */
import { exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";

async function hmacHex(secret: string, text: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return Array.from(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(text))), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function standardHeaders(secret: string, id: string, body: string, at = new Date()): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

export async function githubHeaders(secret: string, delivery: string, body: string, event = "push"): Promise<Record<string, string>> {
  return { "x-hub-signature-256": `sha256=${await hmacHex(secret, body)}`, "x-github-delivery": delivery, "x-github-event": event };
}

export async function stripeHeaders(secret: string, body: string, at = new Date()): Promise<Record<string, string>> {
  const t = Math.floor(at.getTime() / 1000);
  return { "stripe-signature": `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}` };
}

/** POSTs a raw body to the worker's webhook route, with no Authorization unless given. */
export async function postWebhook(path: string, body: BodyInit, headers: Record<string, string>) {
  const response = await exports.default.fetch(
    new Request(`http://switchboard.test${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }),
  );
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * Per-agent secrets in the registry, one per direction and purpose, never shared between them:
 *
 * - `signing_secret` (outbound): the Standard Webhooks `whsec_…` secret that signs every delivery
 *   Switchboard makes TO this agent. It verifies nothing inbound: a receiver holds it, so anything
 *   it verified could be forged by every receiver.
 * - `webhook_secrets` (inbound): the secrets that verify `POST /webhooks/:agent` —
 *   `standard` (Standard Webhooks, `whsec_…`), `github` and `stripe` for `?source=github|stripe`.
 *   A source without its secret is refused.
 *
 * They are write-only: every entry that leaves the agent's Durable Object (GET /agents, the
 * directory, PUT's answer) shows `"redacted"` instead, and a PUT that sends `"redacted"` back keeps
 * the stored value, so GET → edit → PUT round-trips without ever seeing the secret.
 */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_SOURCES } from "./webhook-verify";

export const REDACTED = "redacted";

/** `whsec_` + base64 of 24–64 random bytes, as Standard Webhooks specifies. */
export const SigningSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, "signing_secret must be whsec_ followed by the base64 of 24–64 random bytes")
  .or(z.literal(REDACTED))
  .openapi({ description: 'Write-only; reads show "redacted". Sending "redacted" keeps the stored secret.', example: "whsec_…" });

const ProviderSecret = z
  .string()
  .min(16, "webhook secrets must be at least 16 characters")
  .max(256)
  .regex(/^[\x21-\x7e]+$/, "webhook secrets are printable ASCII without spaces")
  .or(z.literal(REDACTED));

export const WebhookSecrets = z
  .strictObject({ standard: SigningSecret.optional(), github: ProviderSecret.optional(), stripe: ProviderSecret.optional() })
  .openapi({ description: 'Write-only; reads show "redacted" per provider. Sending "redacted" keeps the stored secret.' });
export type WebhookSecrets = z.infer<typeof WebhookSecrets>;

export interface AgentSecrets {
  signing_secret?: string;
  webhook_secrets?: WebhookSecrets;
}

/** A copy of `value` with every secret replaced by "redacted". */
export function redactSecrets<T extends AgentSecrets>(value: T): T {
  const copy = { ...value };
  if (copy.signing_secret !== undefined) copy.signing_secret = REDACTED;
  if (copy.webhook_secrets !== undefined) {
    copy.webhook_secrets = Object.fromEntries(Object.keys(copy.webhook_secrets).map((k) => [k, REDACTED]));
  }
  return copy;
}

/** `incoming` with each "redacted" placeholder replaced by the secret `stored` has (or removed). */
export function keepStoredSecrets<T extends AgentSecrets>(incoming: T, stored: AgentSecrets | undefined): T {
  const out = { ...incoming };
  if (out.signing_secret === REDACTED) {
    if (stored?.signing_secret) out.signing_secret = stored.signing_secret;
    else delete out.signing_secret;
  }
  if (out.webhook_secrets) {
    const merged: WebhookSecrets = {};
    for (const provider of WEBHOOK_SOURCES) {
      const value = out.webhook_secrets[provider];
      const kept = value === REDACTED ? stored?.webhook_secrets?.[provider] : value;
      if (kept) merged[provider] = kept;
    }
    out.webhook_secrets = merged;
  }
  return out;
}

/** The secret that signs deliveries to this agent: its own, else the deployment's. Outbound only. */
export function outboundSecret(entry: AgentSecrets, deploymentSecret: string | undefined): string | undefined {
  return entry.signing_secret ?? deploymentSecret;
}

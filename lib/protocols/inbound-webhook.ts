/**
 * Inbound webhooks (`POST /webhooks/:agent`): verify the sender's signature with the target
 * agent's inbound secret for that source (`webhook_secrets.standard|github|stripe`, never an
 * outbound signing secret), refuse replays across every agent that shares the secret, then hand
 * the payload to the agent as an async message. The signature is the authentication: a verified
 * sender acts as the "webhook" principal, which is admin-equivalent for the agent's ACL
 * (`from: null`), because only the admin can have given it that secret. Pure orchestration: the
 * Durable Object supplies the replay record and delivery.
 */
import { type Call, deadlineAfter, makeEnvelope } from "../message/call";
import { failure, type Result } from "../message/errors";
import { jsonDepth } from "../message/json-body";
import { LIMITS } from "../message/limits";
import type { AgentEntry } from "../registry/entry";
import { verifyWebhook, type WebhookSource } from "../security/webhook-verify";

/** Headers a verifier may read; only these cross into the Durable Object. */
export const WEBHOOK_HEADERS = [
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "x-hub-signature-256",
  "x-github-delivery",
  "x-github-event",
  "stripe-signature",
] as const;

export interface WebhookInput {
  source: WebhookSource;
  /** The raw body, exactly as signed. */
  body: string;
  headers: Record<string, string>;
  traceparent: string;
}

/** The replay record of the deliveries one inbound secret verified (shared by every agent holding it). */
export interface ReplayRecord {
  /** Records the replay id; false when it was already recorded. */
  remember(id: string, ttlMs: number): Promise<boolean>;
  forget(id: string): Promise<void>;
}

export interface WebhookDeps {
  entry: AgentEntry;
  now(): number;
  /** The replay record of deliveries verified by `secret`. */
  replays(secret: string): Promise<ReplayRecord>;
  /** Durably accepts the call for async delivery. */
  deliver(call: Call): Promise<Result<{ request_id: string }>>;
}

export type WebhookResult = Result<{ request_id: string; webhook_id: string }>;

/**
 * The secrets that verify `source` for this agent: its inbound `webhook_secrets.<source>` and
 * nothing else. Outbound secrets (`signing_secret`, the deployment's) sign what Switchboard sends,
 * so every receiver holds them; letting them verify anything inbound would let a receiver forge it.
 */
export function webhookSecrets(source: WebhookSource, entry: Pick<AgentEntry, "webhook_secrets">): string[] {
  const secret = entry.webhook_secrets?.[source];
  return secret ? [secret] : [];
}

export async function acceptWebhook(input: WebhookInput, deps: WebhookDeps): Promise<WebhookResult> {
  const { entry } = deps;
  const now = deps.now();
  const secrets = webhookSecrets(input.source, entry);
  const verified = await verifyWebhook(input.source, secrets, input.body, new Headers(input.headers), now);
  if (!verified.ok) return failure("unauthorized", `webhook rejected: ${verified.detail}`);

  let content: unknown = input.body;
  try {
    content = JSON.parse(input.body);
  } catch {
    // Not JSON (e.g. GitHub's form-encoded payloads): delivered as the raw text.
  }
  if (jsonDepth(content, LIMITS.maxJsonDepth) > LIMITS.maxJsonDepth) {
    return failure("invalid_request", `JSON nesting exceeds the depth limit of ${LIMITS.maxJsonDepth}`);
  }
  const replays = await deps.replays(secrets[verified.secret] as string);
  if (!(await replays.remember(verified.id, verified.remember_ms))) {
    return failure("conflict", `webhook ${verified.id} was already accepted; replays are refused`);
  }
  const call: Call = {
    message: makeEnvelope({
      from: null,
      to: entry.name,
      role: "agent_call",
      content,
      metadata: {
        webhook_source: input.source,
        webhook_id: verified.id,
        ...(verified.event ? { webhook_event: verified.event.slice(0, 256) } : {}),
        ...(verified.delivery ? { webhook_delivery: verified.delivery } : {}),
      },
      traceparent: input.traceparent,
      now,
    }),
    deadline: deadlineAfter(null),
    path: [],
    pattern: "webhook",
  };
  const delivered = await deps
    .deliver(call)
    .catch((error: unknown) => failure("unavailable", `could not store the delivery: ${String(error)}`, { retry_after: 1 }));
  if (!delivered.ok) {
    // Nothing was accepted, so the sender's retry must not be refused as a replay.
    await replays.forget(verified.id).catch((error: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "could not forget a webhook id after a failed delivery", id: verified.id, error: String(error) }));
    });
    return delivered;
  }
  return { ok: true, request_id: delivered.request_id, webhook_id: verified.id };
}

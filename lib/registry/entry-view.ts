/**
 * What a key that is neither admin nor the agent itself sees of a registry entry: where a remote
 * agent, card or model lives (its origin), never the rest of the URL — paths, query strings and
 * userinfo are where webhook tokens and API keys hide (`https://hooks.example.com/T0/B0/XXXX`,
 * `?token=…`). Secrets are redacted for everyone already (lib/security/agent-secrets.ts).
 */
import type { AgentEntry } from "./entry";
import type { Principal } from "../security/keys";

/** The origin of `url`, marked as shortened; "redacted" when it does not parse. */
export function redactUrl(url: string): string {
  const parsed = URL.parse(url);
  return parsed ? `${parsed.origin}/…` : "redacted";
}

/** Whether `principal` sees `agent`'s URLs whole: admin, and the agent itself. */
export function seesUrls(principal: Principal, agent: string): boolean {
  return principal.kind === "admin" || principal.agent === agent;
}

/** `entry` as `principal` may read it. */
export function entryView<T extends Pick<AgentEntry, "name" | "url" | "model" | "a2a">>(principal: Principal, entry: T): T {
  if (seesUrls(principal, entry.name)) return entry;
  const view = { ...entry };
  if (view.url !== undefined) view.url = redactUrl(view.url);
  if (view.model?.base_url !== undefined) view.model = { ...view.model, base_url: redactUrl(view.model.base_url) };
  if (view.a2a !== undefined) view.a2a = { ...view.a2a, card_url: redactUrl(view.a2a.card_url), endpoint: redactUrl(view.a2a.endpoint) };
  return view;
}

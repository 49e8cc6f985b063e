import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ReplayGuard } from "../../lib/security/replay-guard";
import { WEBHOOK_HEADERS } from "../../lib/protocols/inbound-webhook";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";
import { KEYS } from "../support/keys";
import { githubHeaders, postWebhook, standardHeaders, stripeHeaders } from "../support/webhooks";
import { agentObjectStub } from "../support/agent-storage";

/** Outbound: signs what Switchboard sends. Never verifies anything inbound. */
const DEPLOYMENT = env.SWITCHBOARD_SIGNING_SECRET;
const AGENT_SECRET = `whsec_${btoa("webhook-agent-secret-32-bytes-ok")}`;
/** Inbound: `webhook_secrets.standard` of the agents below. */
const INBOUND = `whsec_${btoa("inbound-standard-secret-32-bytes")}`;
const GITHUB_SECRET = "github-endpoint-secret-123";
const STRIPE_SECRET = "whsec_stripe_endpoint_secret_123";

async function remoteAgent(extra: Record<string, unknown> = { webhook_secrets: { standard: INBOUND } }): Promise<string> {
  const name = uniqueName("hook");
  const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, ...extra } });
  expect(put.status).toBe(200);
  return name;
}

/** What the agent received, once the async request a webhook created has been delivered. */
async function deliveries(name: string, requestId?: string): Promise<Array<{ body: string }>> {
  if (requestId) expect(await settled(requestId)).toMatchObject({ status: "replied", attempts: 1 });
  return received(name);
}

describe("Standard Webhooks in", () => {
  it("accepts a valid webhook exactly once and delivers its payload to the agent", async () => {
    const name = await remoteAgent();
    const body = JSON.stringify({ event: "order.created", order: 42 });
    const headers = standardHeaders(INBOUND, `evt_${name}`, body);
    const first = await postWebhook(`/webhooks/${name}`, body, headers);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ request_id: expect.stringMatching(`^req_${name}_`), webhook_id: `standard:evt_${name}` });

    const replay = await postWebhook(`/webhooks/${name}`, body, headers);
    expect(replay.status).toBe(409);
    expect(replay.headers.get("content-type")).toContain("application/problem+json");
    expect(replay.body.code).toBe("conflict");

    const calls = await deliveries(name, first.body.request_id);
    expect(calls).toHaveLength(1);
    const envelope = JSON.parse(calls[0]?.body ?? "{}");
    expect(envelope).toMatchObject({
      from: null,
      to: name,
      content: { event: "order.created", order: 42 },
      metadata: { webhook_source: "standard", webhook_id: `standard:evt_${name}` },
    });
  });

  it("refuses forged, tampered, stale, future-dated and unsigned webhooks", async () => {
    const name = await remoteAgent();
    const body = JSON.stringify({ n: 1 });
    const sixMinutes = 6 * 60 * 1000;
    const cases: Array<[string, string, Record<string, string>]> = [
      ["forged", body, standardHeaders(AGENT_SECRET, "a1", body)],
      ["outbound deployment secret", body, standardHeaders(DEPLOYMENT, "a7", body)],
      ["tampered", JSON.stringify({ n: 2 }), standardHeaders(INBOUND, "a2", body)],
      ["stale", body, standardHeaders(INBOUND, "a3", body, new Date(Date.now() - sixMinutes))],
      ["future", body, standardHeaders(INBOUND, "a4", body, new Date(Date.now() + sixMinutes))],
      ["unsigned", body, {}],
      ["bearer only", body, { authorization: `Bearer ${KEYS.admin}` }],
      ["id swapped", body, { ...standardHeaders(INBOUND, "a5", body), "webhook-id": "a6" }],
    ];
    for (const [label, sent, headers] of cases) {
      const res = await postWebhook(`/webhooks/${name}`, sent, headers);
      expect(res.status, label).toBe(401);
      expect(res.body.code, label).toBe("unauthorized");
    }
    expect(await deliveries(name)).toHaveLength(0);
  });

  it("verifies only with the inbound secret: outbound secrets verify nothing, and no inbound secret refuses all", async () => {
    const name = await remoteAgent({ signing_secret: AGENT_SECRET, webhook_secrets: { standard: INBOUND } });
    const body = JSON.stringify({ ok: true });
    expect((await postWebhook(`/webhooks/${name}`, body, standardHeaders(DEPLOYMENT, "d1", body))).status).toBe(401);
    expect((await postWebhook(`/webhooks/${name}`, body, standardHeaders(AGENT_SECRET, "d2", body))).status).toBe(401);
    expect((await postWebhook(`/webhooks/${name}`, body, standardHeaders(INBOUND, "d3", body))).status).toBe(202);
    const bare = await remoteAgent({ signing_secret: AGENT_SECRET });
    const refused = await postWebhook(`/webhooks/${bare}`, body, standardHeaders(AGENT_SECRET, "d4", body));
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("no standard webhook secret");
    expect((await postWebhook(`/webhooks/${bare}`, body, standardHeaders(DEPLOYMENT, "d5", body))).status).toBe(401);
    const shown = await api("GET", `/agents/${name}`);
    expect(shown.body.webhook_secrets).toEqual({ standard: "redacted" });
    expect(JSON.stringify(shown.body)).not.toContain(INBOUND.slice(6));
  });

  it("refuses, at every agent, the signed reply any key can capture (audit: forged admin webhook)", async () => {
    // The lowest-privilege key sends to echo with reply_to a URL it controls and captures the signed reply…
    const key = uniqueName("capture");
    const sent = await api("POST", "/agents/echo/messages", { as: "outsider", body: { content: "hi", reply_to: `${testServer()}/ok/${key}` } });
    expect(sent.status).toBe(202);
    const [captured] = await eventually(async () => {
      const calls = await received(key);
      return calls.length > 0 ? calls : undefined;
    });
    const headers = Object.fromEntries(WEBHOOK_HEADERS.flatMap((h) => (captured?.headers[h] ? [[h, captured.headers[h]]] : [])));
    expect(headers["webhook-signature"]).toMatch(/^v1,/);
    // …and re-POSTs it with no key to any agent's webhook: refused, whatever secrets the agent has.
    for (const target of ["echo", "summarizer"]) {
      const forged = await postWebhook(`/webhooks/${target}`, captured?.body ?? "", headers);
      expect(forged.status, target).toBe(401);
    }
    const withSecret = await remoteAgent();
    const withOwnOutbound = await remoteAgent({ signing_secret: AGENT_SECRET });
    for (const target of [withSecret, withOwnOutbound]) {
      expect((await postWebhook(`/webhooks/${target}`, captured?.body ?? "", headers)).status, target).toBe(401);
    }
    expect(await received(withSecret)).toHaveLength(0);
  });

  it("accepts a delivery once across all agents that share its secret", async () => {
    const first = await remoteAgent();
    const second = await remoteAgent();
    const body = JSON.stringify({ order: 7 });
    const headers = standardHeaders(INBOUND, `shared-${first}`, body);
    expect((await postWebhook(`/webhooks/${first}`, body, headers)).status).toBe(202);
    const elsewhere = await postWebhook(`/webhooks/${second}`, body, headers);
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.code).toBe("conflict");
    expect(await received(second)).toHaveLength(0);
  });

  it("remembers accepted ids across eviction", async () => {
    const name = await remoteAgent();
    const body = '"hello"';
    const headers = standardHeaders(INBOUND, "evict-1", body);
    expect((await postWebhook(`/webhooks/${name}`, body, headers)).status).toBe(202);
    await evictDurableObject(agentObjectStub(name));
    expect((await postWebhook(`/webhooks/${name}`, body, headers)).status).toBe(409);
  });

  it("refuses an unknown ?source= with 400, including names every object inherits", async () => {
    const name = await remoteAgent({});
    for (const source of ["gitlab", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await postWebhook(`/webhooks/${name}?source=${source}`, "{}", {});
      expect(res.status, source).toBe(400);
      expect(res.body.detail, source).toContain("query source");
    }
  });

  it("answers bad input with problems, not 5xx", async () => {
    const name = await remoteAgent();
    const big = "x".repeat(300 * 1024);
    expect((await postWebhook(`/webhooks/${name}`, big, standardHeaders(INBOUND, "b1", big))).status).toBe(413);
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    expect((await postWebhook(`/webhooks/${name}`, bytes, {})).status).toBe(400);
    expect((await postWebhook("/webhooks/Not_A_Name", "{}", {})).status).toBe(400);
    expect((await postWebhook("/webhooks/no-such-agent-here", "{}", standardHeaders(INBOUND, "b2", "{}"))).status).toBe(404);
    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    expect((await postWebhook(`/webhooks/${name}`, deep, standardHeaders(INBOUND, "b3", deep))).status).toBe(400);
  });
});

describe("GitHub and Stripe webhooks in", () => {
  it("verifies X-Hub-Signature-256 and refuses a replayed X-GitHub-Delivery", async () => {
    const name = await remoteAgent({ webhook_secrets: { github: GITHUB_SECRET } });
    const body = '{"ref":"refs/heads/main","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}';
    const headers = await githubHeaders(GITHUB_SECRET, `gh-${name}`, body);
    const ok = await postWebhook(`/webhooks/${name}?source=github`, body, headers);
    expect(ok.status).toBe(202);
    expect((await postWebhook(`/webhooks/${name}?source=github`, body, headers)).status).toBe(409);
    // GitHub signs only the body: a fresh, unsigned X-GitHub-Delivery does not make the same body new.
    const renamed = await postWebhook(`/webhooks/${name}?source=github`, body, { ...headers, "x-github-delivery": `gh-fresh-${name}` });
    expect(renamed.status).toBe(409);
    const forged = await githubHeaders("not-the-secret-at-all", `gh2-${name}`, body);
    expect((await postWebhook(`/webhooks/${name}?source=github`, body, forged)).status).toBe(401);
    // The deployment's Standard Webhooks secret never verifies a provider's signature.
    const withDeployment = await githubHeaders(DEPLOYMENT, `gh3-${name}`, body);
    expect((await postWebhook(`/webhooks/${name}?source=github`, body, withDeployment)).status).toBe(401);
    const [delivered] = await deliveries(name, ok.body.request_id);
    const envelope = JSON.parse(delivered?.body ?? "{}");
    expect(envelope.metadata).toMatchObject({ webhook_source: "github", webhook_event: "push", webhook_delivery: `gh-${name}` });
    expect(Object.hasOwn(envelope.content, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(envelope.content, "__proto__")?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses GitHub webhooks for an agent without a GitHub secret", async () => {
    const name = await remoteAgent();
    const body = "{}";
    const res = await postWebhook(`/webhooks/${name}?source=github`, body, await githubHeaders(GITHUB_SECRET, "x", body));
    expect(res.status).toBe(401);
    expect(res.body.detail).toContain("no github webhook secret");
  });

  it("verifies Stripe-Signature with a 5-minute tolerance and refuses a replayed event", async () => {
    const name = await remoteAgent({ webhook_secrets: { stripe: STRIPE_SECRET } });
    const body = JSON.stringify({ id: `evt_${name}`, type: "invoice.paid", data: { object: {} } });
    const ok = await postWebhook(`/webhooks/${name}?source=stripe`, body, await stripeHeaders(STRIPE_SECRET, body));
    expect(ok.status).toBe(202);
    // Stripe re-signs a retried event with a new timestamp: still the same event, still a replay.
    const later = await stripeHeaders(STRIPE_SECRET, body, new Date(Date.now() + 1000));
    expect((await postWebhook(`/webhooks/${name}?source=stripe`, body, later)).status).toBe(409);
    const other = JSON.stringify({ id: `evt2_${name}`, type: "invoice.paid" });
    const stale = await stripeHeaders(STRIPE_SECRET, other, new Date(Date.now() - 6 * 60 * 1000));
    expect((await postWebhook(`/webhooks/${name}?source=stripe`, other, stale)).status).toBe(401);
    const forged = await stripeHeaders("whsec_wrong_wrong_wrong_wrong", other);
    expect((await postWebhook(`/webhooks/${name}?source=stripe`, other, forged)).status).toBe(401);
    const [delivered] = await deliveries(name, ok.body.request_id);
    expect(JSON.parse(delivered?.body ?? "{}").metadata).toMatchObject({ webhook_source: "stripe", webhook_event: "invoice.paid" });
    expect(await deliveries(name)).toHaveLength(1);
  });

  it("refuses a replayed Stripe event without an id, however many bogus signatures are prepended", async () => {
    const name = await remoteAgent({ webhook_secrets: { stripe: STRIPE_SECRET } });
    const body = JSON.stringify({ type: "ping", nonce: name });
    const signature = (await stripeHeaders(STRIPE_SECRET, body))["stripe-signature"] as string;
    expect((await postWebhook(`/webhooks/${name}?source=stripe`, body, { "stripe-signature": signature })).status).toBe(202);
    const [t, ...rest] = signature.split(",");
    for (const bogus of ["v1=0000", "v1=ffff,v1=1234"]) {
      const replay = await postWebhook(`/webhooks/${name}?source=stripe`, body, { "stripe-signature": [t, bogus, ...rest].join(",") });
      expect(replay.status, bogus).toBe(409);
    }
  });
});

// The table itself, on a real object's storage: expiry is its subject.
describe("replay table", () => {
  it("keeps ids until they expire, then lets them go", async () => {
    const stub = env.WEBHOOK_REPLAYS.get(env.WEBHOOK_REPLAYS.idFromName(uniqueName("replay")));
    await runInDurableObject(stub, (_instance, state) => {
      const guard = new ReplayGuard(state.storage.sql);
      expect(guard.remember("a", 1_000, 600_000)).toBe(true);
      expect(guard.remember("a", 1_000 + 599_999, 600_000)).toBe(false);
      expect(guard.remember("b", 2_000, 600_000)).toBe(true);
      expect(guard.remember("a", 1_000 + 600_000, 600_000)).toBe(true);
      guard.forget("b");
      expect(guard.remember("b", 1_000 + 600_000, 600_000)).toBe(true);
    });
  });
});

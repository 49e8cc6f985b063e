import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ReplayGuard } from "../../lib/security/replay-guard";
import { api, received, settled, testServer, uniqueName } from "../support/api";
import { KEYS } from "../support/keys";
import { githubHeaders, postWebhook, standardHeaders, stripeHeaders } from "../support/webhooks";

const DEPLOYMENT = env.SWITCHBOARD_SIGNING_SECRET;
const AGENT_SECRET = `whsec_${btoa("webhook-agent-secret-32-bytes-ok")}`;
const GITHUB_SECRET = "github-endpoint-secret-123";
const STRIPE_SECRET = "whsec_stripe_endpoint_secret_123";

async function remoteAgent(extra: Record<string, unknown> = {}): Promise<string> {
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
    const headers = standardHeaders(DEPLOYMENT, `evt_${name}`, body);
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
      ["tampered", JSON.stringify({ n: 2 }), standardHeaders(DEPLOYMENT, "a2", body)],
      ["stale", body, standardHeaders(DEPLOYMENT, "a3", body, new Date(Date.now() - sixMinutes))],
      ["future", body, standardHeaders(DEPLOYMENT, "a4", body, new Date(Date.now() + sixMinutes))],
      ["unsigned", body, {}],
      ["bearer only", body, { authorization: `Bearer ${KEYS.admin}` }],
      ["id swapped", body, { ...standardHeaders(DEPLOYMENT, "a5", body), "webhook-id": "a6" }],
    ];
    for (const [label, sent, headers] of cases) {
      const res = await postWebhook(`/webhooks/${name}`, sent, headers);
      expect(res.status, label).toBe(401);
      expect(res.body.code, label).toBe("unauthorized");
    }
    expect(await deliveries(name)).toHaveLength(0);
  });

  it("verifies with the agent's own secret, and then no longer with the deployment secret", async () => {
    const name = await remoteAgent({ signing_secret: AGENT_SECRET });
    const body = JSON.stringify({ ok: true });
    expect((await postWebhook(`/webhooks/${name}`, body, standardHeaders(DEPLOYMENT, "d1", body))).status).toBe(401);
    expect((await postWebhook(`/webhooks/${name}`, body, standardHeaders(AGENT_SECRET, "d2", body))).status).toBe(202);
  });

  it("remembers accepted ids across eviction", async () => {
    const name = await remoteAgent();
    const body = '"hello"';
    const headers = standardHeaders(DEPLOYMENT, "evict-1", body);
    expect((await postWebhook(`/webhooks/${name}`, body, headers)).status).toBe(202);
    await evictDurableObject(env.AGENT.get(env.AGENT.idFromName(name)));
    expect((await postWebhook(`/webhooks/${name}`, body, headers)).status).toBe(409);
  });

  it("answers bad input with problems, not 5xx", async () => {
    const name = await remoteAgent();
    const big = "x".repeat(300 * 1024);
    expect((await postWebhook(`/webhooks/${name}`, big, standardHeaders(DEPLOYMENT, "b1", big))).status).toBe(413);
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    expect((await postWebhook(`/webhooks/${name}`, bytes, {})).status).toBe(400);
    expect((await postWebhook(`/webhooks/${name}?source=gitlab`, "{}", {})).status).toBe(400);
    expect((await postWebhook("/webhooks/Not_A_Name", "{}", {})).status).toBe(400);
    expect((await postWebhook("/webhooks/no-such-agent-here", "{}", standardHeaders(DEPLOYMENT, "b2", "{}"))).status).toBe(404);
    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    expect((await postWebhook(`/webhooks/${name}`, deep, standardHeaders(DEPLOYMENT, "b3", deep))).status).toBe(400);
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
    const forged = await githubHeaders("not-the-secret-at-all", `gh2-${name}`, body);
    expect((await postWebhook(`/webhooks/${name}?source=github`, body, forged)).status).toBe(401);
    // The deployment's Standard Webhooks secret never verifies a provider's signature.
    const withDeployment = await githubHeaders(DEPLOYMENT, `gh3-${name}`, body);
    expect((await postWebhook(`/webhooks/${name}?source=github`, body, withDeployment)).status).toBe(401);
    const [delivered] = await deliveries(name, ok.body.request_id);
    const envelope = JSON.parse(delivered?.body ?? "{}");
    expect(envelope.metadata).toMatchObject({ webhook_source: "github", webhook_event: "push" });
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
});

describe("replay table", () => {
  it("keeps ids until they expire, then lets them go", async () => {
    const stub = env.AGENT.get(env.AGENT.idFromName(uniqueName("replay")));
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

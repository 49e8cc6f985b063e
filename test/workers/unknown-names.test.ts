/**
 * Unauthenticated input never creates state: a request for a name that is no agent, on a path that
 * takes no key, is answered 404 without making (and so persisting) that name's Durable Object.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, testServer, uniqueName } from "../support/api";
import { postWebhook, standardHeaders } from "../support/webhooks";

const INBOUND = `whsec_${btoa("unknown-names-inbound-secret-32b")}`;

describe("unknown names on unauthenticated paths", () => {
  it("answer 404 and create no object: 30 requests made 30 objects (audit)", async () => {
    const names = Array.from({ length: 15 }, () => uniqueName("nobody"));
    for (const name of names) {
      const card = await api("GET", `/a2a/${name}/.well-known/agent-card.json`, { as: null });
      expect(card.status).toBe(404);
      expect(card.body.code).toBe("agent_not_found");
      const hook = await postWebhook(`/webhooks/${name}`, "{}", standardHeaders(INBOUND, `w-${name}`, "{}"));
      expect(hook.status).toBe(404);
    }
    const ids = new Set((await listDurableObjectIds(env.AGENT)).map((id) => id.toString()));
    for (const name of names) expect(ids.has(env.AGENT.idFromName(name).toString()), name).toBe(false);
  });

  it("still serve the names that are agents: code agents and configured ones", async () => {
    expect((await api("GET", "/a2a/echo/.well-known/agent-card.json", { as: null })).status).toBe(200);
    const name = uniqueName("somebody");
    expect(
      (await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, webhook_secrets: { standard: INBOUND } } })).status,
    ).toBe(200);
    expect((await api("GET", `/a2a/${name}/.well-known/agent-card.json`, { as: null })).status).toBe(200);
    expect((await postWebhook(`/webhooks/${name}`, "{}", standardHeaders(INBOUND, `w-${name}`, "{}"))).status).toBe(202);
    // Deleted: unknown again.
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(204);
    expect((await api("GET", `/a2a/${name}/.well-known/agent-card.json`, { as: null })).status).toBe(404);
  });
});

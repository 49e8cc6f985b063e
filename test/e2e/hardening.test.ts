/**
 * The audit's findings against a real `wrangler dev` with `SWITCHBOARD_DEV=0`, as a deployment
 * runs: each test reproduces one way in or one way to lose a message, and shows it closed.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_POLL, eventually } from "../support/poll";
import { devApi } from "../support/dev-api";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

/** The deployment's outbound secret: what every delivery Switchboard sends is signed with. */
const OUTBOUND = "whsec_aGFyZGVuaW5nLWUyZS1vdXRib3VuZC1zZWNyZXQ=";
const AGENT_OUTBOUND = `whsec_${Buffer.from("e2e-agent-outbound-secret-32-ok!").toString("base64")}`;
const INBOUND = `whsec_${Buffer.from("e2e-shared-inbound-secret-32-ok!").toString("base64")}`;

let dev: DevServer;
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const call = (method: string, path: string, body?: unknown, headers: Record<string, string | null> = {}) => devApi(dev, method, path, body, headers);

/** A Standard Webhooks delivery signed with `secret`, exactly as Switchboard signs what it sends, sent with no key. */
function signed(secret: string, id: string, body: string): Record<string, string | null> {
  const at = new Date();
  return {
    authorization: null,
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}

beforeAll(async () => {
  dev = await startWranglerDev({ SWITCHBOARD_DEV: "0", SWITCHBOARD_SIGNING_SECRET: OUTBOUND });
});
afterAll(async () => {
  await dev?.stop();
});

describe("webhooks in: no outbound signature is ever accepted inbound", () => {
  it("refuses a delivery signed with the outbound secrets at every agent, and accepts one inbound delivery once", async () => {
    // What any key can capture: a reply or an event Switchboard signed for a URL the key controls.
    const body = JSON.stringify({ id: "msg_captured", from: "echo", role: "reply", content: "hi" });
    for (const agent of ["echo", "summarizer", "triage"]) {
      const forged = await call("POST", `/webhooks/${agent}`, body, signed(OUTBOUND, `msg_captured_${agent}`, body));
      expect(forged.status, agent).toBe(401);
      expect(forged.body.code).toBe("unauthorized");
    }
    // An agent's own outbound secret verifies nothing inbound either.
    expect((await call("PUT", "/agents/summarizer", { signing_secret: AGENT_OUTBOUND })).status).toBe(200);
    expect((await call("POST", "/webhooks/summarizer", body, signed(AGENT_OUTBOUND, "msg_own", body))).status).toBe(401);

    // Two agents with the same inbound secret: one delivery is accepted by one of them, once.
    for (const agent of ["echo", "summarizer"]) {
      const put = await call("PUT", `/agents/${agent}`, { webhook_secrets: { standard: INBOUND } });
      expect(put.status).toBe(200);
      expect(JSON.stringify(put.body)).not.toContain(INBOUND.slice(6));
    }
    const headers = signed(INBOUND, "evt_e2e_1", body);
    expect((await call("POST", "/webhooks/echo", body, headers)).status).toBe(202);
    expect((await call("POST", "/webhooks/echo", body, headers)).status).toBe(409);
    expect((await call("POST", "/webhooks/summarizer", body, headers)).status).toBe(409);
  });
});

describe("dead letters: any size the API accepts", () => {
  it("dead-letters a 150 KB message to triage with an unknown type, intact, and replays it", async () => {
    const content = "a long ticket ".repeat(11_000);
    expect(Buffer.byteLength(JSON.stringify({ content }))).toBeGreaterThan(150_000);
    const sent = await call("POST", "/agents/triage/messages", { content, metadata: { type: "warranty" } });
    expect(sent.status).toBe(202);
    const requestId = sent.body.request_id as string;
    const failed = await eventually(
      async () => {
        const state = await call("GET", `/requests/${requestId}`);
        return state.body.status === "pending" ? undefined : state.body;
      },
      E2E_POLL.timeoutMs,
      "the request to fail",
      E2E_POLL.intervalMs,
    );
    expect(failed).toMatchObject({ status: "failed", error: { code: "no_handler" } });
    const entry = await eventually(
      async () => {
        const page = await call("GET", "/dlq?agent=triage");
        return page.body.entries.find((e: any) => e.message?.metadata?.request_id === requestId);
      },
      E2E_POLL.timeoutMs,
      "the dead letter",
      E2E_POLL.intervalMs,
    );
    expect(entry.message.content).toBe(content);
    expect(entry).toMatchObject({ status: "dead", error: { code: "no_handler" }, attempts: 1 });

    // Replayed, it fails the same way and comes back as the same entry, still whole.
    expect((await call("POST", `/dlq/${entry.id}/replay`)).status).toBe(202);
    const back = await eventually(
      async () => {
        const e = (await call("GET", `/dlq/${entry.id}`)).body;
        return e.status === "dead" && e.replays === 1 ? e : undefined;
      },
      E2E_POLL.timeoutMs,
      "the replay to fail again",
      E2E_POLL.intervalMs,
    );
    expect(back).toMatchObject({ attempts: 2, message: { content } });
  });
});

describe("failed authentication is throttled per client address", () => {
  it("answers 429 with Retry-After after 20 failures a minute, for keys and logins, and leaves other clients alone", async () => {
    const from = (ip: string, headers: Record<string, string>) => ({ ...headers, "cf-connecting-ip": ip });
    const guess = { authorization: "Bearer sk_guessing_0000000000000000", "content-type": "application/json" };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await call("GET", "/agents", undefined, from("203.0.113.50", guess))).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    const rightKey = await call("GET", "/agents", undefined, from("203.0.113.50", admin));
    expect(rightKey.status).toBe(429);
    expect(Number(rightKey.headers.get("retry-after"))).toBeGreaterThan(0);
    const login = await fetch(`${dev.url}/dashboard/login`, {
      method: "POST",
      redirect: "manual",
      headers: from("203.0.113.50", { "content-type": "application/x-www-form-urlencoded" }),
      body: `key=${DEV_ADMIN_KEY}`,
    });
    expect(login.status).toBe(429);
    // Another client, with the right key, is unaffected.
    expect((await call("GET", "/agents", undefined, from("203.0.113.51", admin))).status).toBe(200);
  });
});

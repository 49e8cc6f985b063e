/**
 * The inbound-webhook steps of docs/security.md against a real `wrangler dev` (rate limiting
 * binding included): a GitHub webhook accepted once, replay and forgery refused, secrets never read
 * back.
 */
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const GITHUB_SECRET = "a-long-random-github-secret";
const AGENT_SECRET = `whsec_${Buffer.from("e2e-agent-secret-of-32-bytes-ok!").toString("base64")}`;

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("wrangler dev security tour", () => {
  it("accepts a GitHub webhook once, refuses its replay and a forgery, and never shows the secret", async () => {
    const put = await fetch(`${dev.url}/agents/echo`, { method: "PUT", headers: admin, body: JSON.stringify({ webhook_secrets: { github: GITHUB_SECRET } }) });
    expect(put.status).toBe(200);
    expect(JSON.stringify(await put.json())).not.toContain(GITHUB_SECRET);
    const body = '{"ref":"refs/heads/main"}';
    const signature = `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`;
    const headers = { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "7f9c-1", "x-hub-signature-256": signature };
    const post = () => fetch(`${dev.url}/webhooks/echo?source=github`, { method: "POST", headers, body });
    const first = await post();
    expect(first.status).toBe(202);
    expect(((await first.json()) as { request_id: string }).request_id).toMatch(/^req_echo_/);
    expect((await post()).status).toBe(409);
    const forged = await fetch(`${dev.url}/webhooks/echo?source=github`, {
      method: "POST",
      headers: { ...headers, "x-github-delivery": "7f9c-2", "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      body,
    });
    expect(forged.status).toBe(401);
    const read = await fetch(`${dev.url}/agents`, { headers: admin });
    expect(await read.text()).not.toContain(GITHUB_SECRET);
  });

  it("accepts a Standard Webhook signed with the agent's inbound secret", async () => {
    await fetch(`${dev.url}/agents/summarizer`, { method: "PUT", headers: admin, body: JSON.stringify({ webhook_secrets: { standard: AGENT_SECRET } }) });
    const body = JSON.stringify({ text: "One. Two." });
    const id = `msg_e2e_${Date.now()}`;
    const at = new Date();
    const headers = {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(AGENT_SECRET).sign(id, at, body),
    };
    expect((await fetch(`${dev.url}/webhooks/summarizer`, { method: "POST", headers, body })).status).toBe(202);
    expect((await fetch(`${dev.url}/webhooks/summarizer`, { method: "POST", headers: { ...headers, authorization: admin.authorization }, body })).status).toBe(
      409,
    );
  });
});

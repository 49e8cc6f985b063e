import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { failure } from "../message/errors";
import { completeEntry } from "../registry/entry";
import { acceptWebhook, type WebhookDeps } from "./inbound-webhook";

const SECRET = `whsec_${btoa("unit-test-secret-of-32-bytes-ok!")}`;
const NOW = Date.UTC(2026, 10, 24, 9, 0, 0);

function signed(id: string, body: string, at = NOW) {
  return {
    source: "standard" as const,
    body,
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(at / 1000)), "webhook-signature": new Webhook(SECRET).sign(id, new Date(at), body) },
  };
}

function deps(deliver: WebhookDeps["deliver"]) {
  const seen = new Set<string>();
  return {
    seen,
    deps: {
      entry: completeEntry("target", { kind: "http", url: "https://example.com", webhook_secrets: { standard: SECRET } }),
      now: () => NOW,
      replays: async () => ({
        remember: async (id: string) => {
          if (seen.has(id)) return false;
          seen.add(id);
          return true;
        },
        forget: async (id: string) => void seen.delete(id),
      }),
      deliver,
    } satisfies WebhookDeps,
  };
}

describe("acceptWebhook", () => {
  it("uses the injected clock for freshness", async () => {
    const { deps: d } = deps(async (call) => ({ ok: true, request_id: call.message.id }));
    expect((await acceptWebhook(signed("w1", "{}", NOW - 299_000), d)).ok).toBe(true);
    expect(await acceptWebhook(signed("w2", "{}", NOW - 301_000), d)).toMatchObject({ ok: false, code: "unauthorized" });
  });

  it("forgets the id when delivery fails, so the sender's retry is not refused as a replay", async () => {
    let fail = true;
    const { deps: d, seen } = deps(async (call) =>
      fail ? failure("agent_error", "queue down", { transient: true }) : { ok: true, request_id: call.message.id },
    );
    expect(await acceptWebhook(signed("w3", '{"a":1}'), d)).toMatchObject({ ok: false, code: "agent_error" });
    expect(seen.size).toBe(0);
    fail = false;
    expect(await acceptWebhook(signed("w3", '{"a":1}'), d)).toMatchObject({ ok: true, webhook_id: "standard:w3" });
    expect(await acceptWebhook(signed("w3", '{"a":1}'), d)).toMatchObject({ ok: false, code: "conflict" });
  });

  it("answers a delivery that could not be stored as 503 unavailable with a retry hint, and forgets its id", async () => {
    const { deps: d, seen } = deps(async () => {
      throw new Error("the agent's object did not answer");
    });
    expect(await acceptWebhook(signed("w5", "{}"), d)).toMatchObject({ ok: false, code: "unavailable", transient: true, retry_after: 1 });
    expect(seen.size).toBe(0);
  });

  it("delivers as the webhook principal (from null), with the raw text when the body is not JSON", async () => {
    const calls: unknown[] = [];
    const { deps: d } = deps(async (call) => {
      calls.push(call);
      return { ok: true, request_id: "r" };
    });
    await acceptWebhook(signed("w4", "payload=%7B%7D"), d);
    expect(calls[0]).toMatchObject({ pattern: "webhook", message: { from: null, to: "target", content: "payload=%7B%7D" } });
  });
});

import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signatureHeaders } from "./signing";

describe("outbound signatures", () => {
  const now = new Date("2026-12-02T06:00:00.123Z");
  const secrets = [
    "whsec_YmVuY2gtc2lnbmluZy1zZWNyZXQtZm9yLXN3aXRjaGJvYXJk",
    // Without the prefix, and a key whose base64 ends in padding.
    "c2hvcnQta2V5",
    "whsec_a2V5LXdpdGgtcGFkZGluZw==",
  ];
  const bodies = ["", '{"content":"hi"}', JSON.stringify({ content: "ünïcødé ✓ 🚀", metadata: { n: 1 } })];

  it("are byte for byte what the standardwebhooks signer gives, and it verifies them", async () => {
    for (const secret of secrets) {
      const library = new Webhook(secret);
      for (const body of bodies) {
        const headers = await signatureHeaders(secret, "msg_123", body, now);
        expect(headers).toEqual({ "webhook-id": "msg_123", "webhook-timestamp": "1796191200", "webhook-signature": library.sign("msg_123", now, body) });
        const fresh = await signatureHeaders(secret, "msg_456", body);
        expect(() => library.verify(body, fresh)).not.toThrow();
      }
    }
  });

  it("sign nothing without a secret, and refuse a secret the library refuses", async () => {
    expect(await signatureHeaders(undefined, "msg_1", "{}")).toEqual({});
    expect(() => new Webhook("whsec_not*base64")).toThrow();
    await expect(signatureHeaders("whsec_not*base64", "msg_1", "{}")).rejects.toThrow();
  });
});

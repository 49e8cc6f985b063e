import { describe, expect, it } from "vitest";
import { redactText } from "./redact";

describe("redactText", () => {
  it.each([
    ["Authorization: Bearer sk_live_0123456789abcdef", "sk_live_0123456789abcdef"],
    ["secret whsec_c3dpdGNoYm9hcmQtZGV2LXNpZ25pbmc= here", "c3dpdGNoYm9hcmQtZGV2LXNpZ25pbmc"],
    ["key=sk_dev_admin", "sk_dev_admin"],
    ["token ghp_abcdefghijklmnop0123456789", "ghp_abcdefghijklmnop0123456789"],
    ["slack xoxb-1234567890-abcdef", "1234567890-abcdef"],
    ["aws AKIAABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP"],
    ["restricted rk_live_abcdef123", "abcdef123"],
    ['{"api_key":"hunter2hunter2"}', "hunter2hunter2"],
    ['{"Signing_Secret": "s3cr3tvalue"}', "s3cr3tvalue"],
    ['{"password": "correct horse"}', "correct horse"],
    ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNryP4J3"],
  ])("hides the secret in %s", (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain("redacted");
  });

  it("leaves ordinary text alone", () => {
    expect(redactText("Ship the release. Tell the team about skills and whales.")).toBe("Ship the release. Tell the team about skills and whales.");
    expect(redactText(null)).toBeNull();
  });
});

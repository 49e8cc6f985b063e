import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { postSigned } from "../../lib/protocols/remote-http";
import { api, testServer, uniqueName } from "../support/api";

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function received(key: string): Promise<Received[]> {
  return (await (await fetch(`${testServer()}/_calls/${key}`)).json()) as Received[];
}

const AGENT_SECRET = `whsec_${btoa("per-agent-secret-of-32-bytes-ok!")}`;

describe("outbound signing", () => {
  it("signs deliveries with the deployment secret; a standardwebhooks receiver verifies them", async () => {
    const name = uniqueName("signed");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } })).status).toBe(200);
    const [call] = await received(name);
    expect(call?.headers).toMatchObject({ "webhook-id": expect.stringMatching(/^msg_/), "webhook-timestamp": expect.stringMatching(/^\d+$/) });
    const verified = new Webhook(env.SWITCHBOARD_SIGNING_SECRET).verify(call?.body ?? "", call?.headers ?? {});
    expect(verified).toMatchObject({ to: name, content: "hi" });
    expect(() => new Webhook(AGENT_SECRET).verify(call?.body ?? "", call?.headers ?? {})).toThrow();
  });

  it("signs with the agent's own secret, which no read ever returns", async () => {
    const name = uniqueName("own-secret");
    const put = await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/ok/${name}`, signing_secret: AGENT_SECRET, webhook_secrets: { github: "gh-secret-0123456789" } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ signing_secret: "redacted", webhook_secrets: { github: "redacted" } });
    const one = await api("GET", `/agents/${name}`);
    const all = await api("GET", "/agents");
    for (const text of [JSON.stringify(put.body), JSON.stringify(one.body), JSON.stringify(all.body)]) {
      expect(text).not.toContain(AGENT_SECRET.slice(6));
      expect(text).not.toContain("gh-secret-0123456789");
    }

    // GET → PUT round trip with the placeholder keeps the stored secret.
    const { status: _status, name: _name, peers: _peers, ...entry } = one.body;
    expect((await api("PUT", `/agents/${name}`, { body: { ...entry, description: "edited" } })).status).toBe(200);

    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } })).status).toBe(200);
    const [call] = await received(name);
    expect(new Webhook(AGENT_SECRET).verify(call?.body ?? "", call?.headers ?? {})).toMatchObject({ to: name });
    expect(() => new Webhook(env.SWITCHBOARD_SIGNING_SECRET).verify(call?.body ?? "", call?.headers ?? {})).toThrow();
  });

  it("rejects malformed secrets naming the field", async () => {
    const name = uniqueName("bad-secret");
    const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, signing_secret: "hunter2" } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("signing_secret");
    expect(res.body.detail).not.toContain("hunter2");
  });
});

describe("redirects and the SSRF guard", () => {
  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://metadata.google.internal/",
    "file:///etc/passwd",
  ])("refuses a redirect to %s", async (target) => {
    const name = uniqueName("redirect");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/redirect/${name}?to=${encodeURIComponent(target)}` } });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("refusing to call") });
  });

  it("follows a redirect to an allowed target, still signed", async () => {
    const name = uniqueName("hop");
    const to = `${testServer()}/ok/${name}-target`;
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/redirect/${name}?to=${encodeURIComponent(to)}` } });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(200);
    const [call] = await received(`${name}-target`);
    expect(call?.headers["webhook-signature"]).toMatch(/^v1,/);
  });

  it("never re-sends a signed delivery to a redirect on another origin", async () => {
    const key = uniqueName("cross");
    const other = testServer().replace("127.0.0.1", "localhost");
    const start = `${testServer()}/redirect/${key}?to=${encodeURIComponent(`${other}/ok/${key}-other`)}`;
    const post = postSigned(start, { content: 1 }, "msg_x", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", {
      signal: AbortSignal.timeout(5000),
      dev: true,
      secret: env.SWITCHBOARD_SIGNING_SECRET,
    });
    await expect(post).rejects.toMatchObject({ code: "agent_error", transient: false, message: expect.stringContaining("another origin") });
    expect(await received(key)).toHaveLength(1);
    expect(await received(`${key}-other`)).toHaveLength(0);

    // The same through an agent and a reply_to URL: a permanent 502, nothing signed reaches the other origin.
    const name = uniqueName("cross-agent");
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/redirect/${name}?to=${encodeURIComponent(`${other}/ok/${name}-other`)}` },
    });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(502);
    expect(res.body.detail).toContain("another origin");
    expect(await received(`${name}-other`)).toHaveLength(0);
  });

  it("refuses to register a URL the guard refuses, naming the field", async () => {
    const name = uniqueName("private");
    for (const url of ["https://10.1.2.3/agent", "https://[::ffff:a9fe:a9fe]/", "https://user:pw@example.com/"]) {
      const res = await api("PUT", `/agents/${name}`, { body: { kind: "http", url } });
      expect(res.status, url).toBe(400);
      expect(res.body.detail).toMatch(/^url: /);
    }
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
  });
});

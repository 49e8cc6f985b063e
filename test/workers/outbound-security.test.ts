import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { postSigned } from "../../lib/protocols/remote-http";
import { api, modelServer, modelServerCalls, received, settled, testServer, uniqueName } from "../support/api";

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
    const all = await api("GET", `/agents?prefix=${name}`);
    expect(all.body.agents).toHaveLength(1);
    for (const text of [JSON.stringify(put.body), JSON.stringify(one.body), JSON.stringify(all.body)]) {
      expect(text).not.toContain(AGENT_SECRET.slice(6));
      expect(text).not.toContain("gh-secret-0123456789");
    }

    // GET → PUT round trip with the placeholder keeps the stored secret.
    const { status: _status, name: _name, peers: _peers, ...entry } = one.body;
    const edited = await api("PUT", `/agents/${name}`, { body: { ...entry, description: "edited" } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);

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

describe("every remote answer is read within a bound", () => {
  const MIB = 1024 * 1024;

  it.each(["big", "big-chunked"])("answers a 2 MiB reply (%s) with a permanent 502 reply too large, not counted by the breaker", async (scenario) => {
    const name = uniqueName("huge");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/${scenario}/${2 * MIB}/${name}`, breaker: { failure_threshold: 1 } } });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("reply too large") });
    expect((await api("GET", `/agents/${name}/breaker`)).body).toMatchObject({ state: "closed", failures: 0 });
    // Async: not retried, failed at once.
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "y" } });
    expect(await settled(sent.body.request_id)).toMatchObject({ status: "failed", attempts: 1, error: { detail: expect.stringContaining("reply too large") } });
  });

  it("still answers a reply under the bound, and quotes only the start of a huge error body", async () => {
    const name = uniqueName("fits");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/big/${512 * 1024}/${name}` } });
    const ok = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(ok.status).toBe(200);
    expect(ok.body.content).toHaveLength(512 * 1024);
    const failing = uniqueName("huge-error");
    await api("PUT", `/agents/${failing}`, { body: { kind: "http", url: `${testServer()}/big-error/${8 * MIB}/${failing}` } });
    const res = await api("POST", `/agents/${failing}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(502);
    expect(res.body.detail.length).toBeLessThan(400);
  });

  it("refuses an A2A agent card over the bound at registration", async () => {
    const name = uniqueName("huge-card");
    const res = await api("PUT", `/agents/${name}`, { body: { kind: "a2a", url: `${testServer()}/big-chunked/${2 * MIB}/${name}` } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("reply too large");
  });

  it("answers a model provider's oversized answer with a permanent 502", async () => {
    const name = uniqueName("huge-model");
    await api("PUT", `/agents/${name}`, {
      body: { kind: "model", model: { provider: "openai-compatible", base_url: `${testServer()}/big-chunked/${2 * MIB}/${name}`, model: "m" } },
    });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } });
    expect(res.status).toBe(502);
    expect(res.body.detail).toContain("reply too large");
  });
});

describe("a model provider's redirects", () => {
  it("re-checks every hop with the SSRF guard (audit: the AI SDK followed them unseen)", async () => {
    const name = uniqueName("model-hop");
    const to = encodeURIComponent("http://10.0.0.7/v1");
    const put = await api("PUT", `/agents/${name}`, {
      body: {
        kind: "model",
        model: { provider: "openai-compatible", base_url: `${testServer()}/redirect/${name}?to=${to}`, model: "m" },
        limits: { timeout_ms: 5000 },
      },
    });
    expect(put.status).toBe(200);
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: "agent_error", detail: expect.stringContaining("refusing to call http://10.0.0.7/") });
  });

  it("follows an allowed hop, but never sends the provider's API key to another origin", async () => {
    const name = uniqueName("model-key");
    // The model server listens on another port of loopback: another origin.
    const to = encodeURIComponent(modelServer(name));
    await api("PUT", `/agents/${name}`, {
      body: {
        kind: "model",
        model: {
          provider: "openai-compatible",
          base_url: `${testServer()}/redirect/${name}?status=307&to=${to}`,
          model: "m",
          api_key_secret: "TEST_MODEL_API_KEY",
        },
      },
    });
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi" } });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe("remote:hi");
    const [first] = await received(name);
    expect(first?.headers.authorization).toBe("Bearer sk-model-test");
    const [second] = await modelServerCalls(name);
    expect(second?.headers.authorization).toBeUndefined();
  });
});

/**
 * Remote A2A agents (`kind: "a2a"`): Switchboard calling an agent served by @a2a-js/sdk on
 * loopback (test/support/a2a-server.ts) through the SDK's client.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, invokeStream, settled, uniqueName } from "../support/api";
import { EventReader } from "../support/sse";

const a2a = () => `http://127.0.0.1:${env.A2A_SERVER_PORT}`;
const cardUrl = (scenario: string, key: string) => `${a2a()}/${scenario}/${key}/.well-known/agent-card.json`;

async function callsTo(key: string): Promise<number> {
  return ((await (await fetch(`${a2a()}/_calls/${key}`)).json()) as { calls: number }).calls;
}

async function register(name: string, scenario: string, extra: Record<string, unknown> = {}) {
  return api("PUT", `/agents/${name}`, { body: { kind: "a2a", url: cardUrl(scenario, name), ...extra } });
}

describe("registering a remote A2A agent", () => {
  it("fetches the card and stores its JSON-RPC endpoint and protocol version", async () => {
    const name = uniqueName("remote-a2a");
    const res = await register(name, "echo");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: "a2a", url: cardUrl("echo", name), a2a: { endpoint: `${a2a()}/echo/${name}`, protocol_version: "1.0" } });
    expect((await api("GET", `/agents/${name}`)).body.a2a.endpoint).toBe(`${a2a()}/echo/${name}`);
  });

  it("rejects a card that only speaks an unsupported protocol version", async () => {
    const name = uniqueName("old-a2a");
    const res = await register(name, "v03");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_request");
    expect(res.body.detail).toMatch(/0\.3/);
    expect((await api("GET", `/agents/${name}`)).status).toBe(404);
  });

  it("rejects a card URL that does not answer, and one the SSRF guard refuses", async () => {
    const missing = await api("PUT", `/agents/${uniqueName("nocard")}`, { body: { kind: "a2a", url: `${a2a()}/nothing-here` } });
    expect(missing.status).toBe(400);
    const metadata = await api("PUT", `/agents/${uniqueName("ssrf")}`, { body: { kind: "a2a", url: "http://169.254.169.254/.well-known/agent-card.json" } });
    expect(metadata.status).toBe(400);
    expect(metadata.body.detail).toMatch(/private or reserved|refusing/);
  });
});

describe("invoking a remote A2A agent", () => {
  it("maps a completed task's artifacts to the reply content", async () => {
    const name = uniqueName("echo-a2a");
    await register(name, "echo");
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { order: 42 }, metadata: { type: "billing" } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: "reply", from: name, content: { order: 42 }, metadata: { handled_by: name, a2a_state: "TASK_STATE_COMPLETED" } });
    expect(typeof res.body.metadata.a2a_task_id).toBe("string");
    const text = await api("POST", `/agents/${name}/invoke`, { body: { content: "plain text" } });
    expect(text.body.content).toBe("plain text");
  });

  it("maps a Message answer to the reply content", async () => {
    const name = uniqueName("msg-a2a");
    await register(name, "message");
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "hi there" } });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe("hi there");
  });

  it("answers 502 agent_error when the remote task fails", async () => {
    const name = uniqueName("failing-a2a");
    await register(name, "failtask");
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "x" } });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe("agent_error");
    expect(res.body.detail).toMatch(/TASK_STATE_FAILED: scripted failure/);
  });

  it("trips the breaker after failure_threshold transient failures; then no call reaches the agent", async () => {
    const name = uniqueName("down-a2a");
    await register(name, "down", { breaker: { failure_threshold: 2, recovery_timeout_ms: 600_000 } });
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: i } });
      expect(res.status).toBe(502);
      expect(res.body.detail).toMatch(/503/);
    }
    expect(await callsTo(name)).toBe(2);
    for (let i = 0; i < 3; i++) {
      const res = await api("POST", `/agents/${name}/invoke`, { body: { content: "again" } });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe("circuit_open");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(await callsTo(name)).toBe(2);
    expect((await api("GET", `/agents/${name}`)).body.status.breaker).toBe("open");
  });

  it("is reachable through Switchboard.s own A2A endpoint: A2A in, A2A out", async () => {
    const name = uniqueName("bridge-a2a");
    await register(name, "echo");
    // Switchboard as A2A server in front of a remote A2A agent: A2A in, A2A out.
    const res = await api("POST", `/a2a/${name}`, {
      body: {
        jsonrpc: "2.0",
        id: 1,
        method: "SendMessage",
        params: { message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: "relay" }] } },
      },
      headers: { "a2a-version": "1.0" },
    });
    expect(res.body.result.task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(res.body.result.task.artifacts[0].parts[0].text).toBe("relay");
  });

  it("takes async messages through the delivery queue like any other agent", async () => {
    const name = uniqueName("async-a2a");
    await register(name, "echo");
    const res = await api("POST", `/agents/${name}/messages`, { body: { content: { queued: true } } });
    expect(res.status).toBe(202);
    const state = await settled(res.body.request_id);
    expect(state).toMatchObject({ status: "replied", reply: { content: { queued: true }, metadata: { a2a_state: "TASK_STATE_COMPLETED" } } });
    expect(await callsTo(name)).toBe(1);
  });
});

describe("a remote A2A agent that streams", () => {
  it("is called with SendStreamingMessage by a streaming caller: its artifact chunks are the deltas, the task's end the reply", async () => {
    const name = uniqueName("a2a-stream");
    const put = await register(name, "stream");
    expect(put.body.a2a.streaming).toBe(true);
    const events = await new EventReader(await invokeStream(name, { content: "tokens over the wire" })).all();
    expect(events.filter((e) => e.event === "delta").map((e) => e.data.text)).toEqual(["tokens ", "over ", "the ", "wire"]);
    expect(events.at(-1)).toMatchObject({
      event: "reply",
      data: { content: ["tokens ", "over ", "the ", "wire"], metadata: { a2a_state: "TASK_STATE_COMPLETED" } },
    });
    // A plain call is one SendMessage with the same task at its end.
    const plain = await api("POST", `/agents/${name}/invoke`, { body: { content: "tokens over the wire" } });
    expect(plain.body.content).toEqual(["tokens ", "over ", "the ", "wire"]);
    expect(await callsTo(name)).toBe(2);
  });
});

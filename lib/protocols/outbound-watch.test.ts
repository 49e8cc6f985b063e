import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeEnvelope } from "../message/call";
import { runModel } from "../model/run-model";
import { outboundFetch } from "./outbound-fetch";
import { watchOutbound } from "./outbound-watch";
import { postSigned } from "./remote-http";

/** The loopback servers of test/support (test-server.ts, model-server.ts), by their hooks. */
const testServer = () => `http://127.0.0.1:${env.TEST_SERVER_PORT}`;
const modelServer = (key: string) => `http://127.0.0.1:${env.MODEL_SERVER_PORT}/m/${key}`;
const uniqueName = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** Answers once a request for `key` reached the test server (its `/_arrived` hook). */
async function arrived(key: string): Promise<void> {
  const res = await fetch(`${testServer()}/_arrived/${key}`);
  expect(res.ok).toBe(true);
  await res.body?.cancel();
}

/** Answers the test server's held requests for `key`. */
async function release(key: string): Promise<void> {
  await (await fetch(`${testServer()}/_release/${key}`)).body?.cancel();
}

const guard = outboundFetch({ dev: true, maxBytes: 1 << 20, redirects: "follow", who: "the test server" });

describe("watchOutbound", () => {
  it("tells the call's watcher once the guard's fetch is answered, not while the request is held, and tells no other call", async () => {
    const key = uniqueName("watch-fetch");
    const mine: string[] = [];
    const other: string[] = [];
    const response = watchOutbound(
      () => mine.push("under way"),
      () =>
        guard.fetch(`${testServer()}/hold/${key}`, { method: "POST", body: "{}" }).then((res) => {
          mine.push("answered");
          return res;
        }),
    );
    await watchOutbound(
      () => other.push("under way"),
      () => Promise.resolve(),
    );
    await arrived(key);
    expect(mine).toEqual([]);
    await release(key);
    expect((await response).status).toBe(200);
    expect(mine).toEqual(["under way", "answered"]);
    expect(other).toEqual([]);
  });

  it("tells it for a remote agent's signed POST, and for a fetch that fails", async () => {
    const key = uniqueName("watch-post");
    const told: string[] = [];
    const envelope = makeEnvelope({ from: null, to: key, role: "agent_call", content: "hi", now: Date.now() });
    const options = { signal: new AbortController().signal, dev: true };
    const response = watchOutbound(
      () => told.push(key),
      () => postSigned(`${testServer()}/hold/${key}`, envelope, envelope.id, envelope.trace.traceparent, options),
    );
    await arrived(key);
    expect(told).toEqual([]);
    await release(key);
    expect((await response).status).toBe(200);
    expect(told).toEqual([key]);

    const failed = watchOutbound(
      () => told.push("refused"),
      () => guard.fetch("http://127.0.0.1:1/nobody", { method: "POST", body: "{}" }),
    );
    await expect(failed).rejects.toThrow(/could not reach/);
    expect(told).toEqual([key, "refused"]);
  });

  it("follows the call through the AI SDK: a streamed model run tells it before the model's first token", async () => {
    const order: string[] = [];
    const result = await watchOutbound(
      () => order.push("under way"),
      () =>
        runModel({ provider: "openai-compatible", base_url: modelServer(uniqueName("watch-model")), model: "test" }, { bindings: {}, dev: true }, "one two", {
          onDelta: (text) => order.push(`delta ${text.trim()}`),
        }),
    );
    expect(result.text).toBe("remote:one two");
    expect(order).toEqual(["under way", "delta remote:one", "delta two"]);
  });
});

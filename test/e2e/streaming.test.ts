/**
 * Streaming and cancellation against `wrangler dev`, over real HTTP: a streamed reply read as it
 * comes, a reconnect with Last-Event-ID that loses and repeats nothing, and cancellation — by
 * DELETE, by a streaming client that never comes back — reaching, through two hops, a remote agent
 * on a loopback server that sees its request aborted.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_POLL, eventually } from "../support/poll";
import { EventReader } from "../support/sse";
import { startTestServer } from "../support/test-server";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
let loopback: { server: Server; port: number };
const headers = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const remote = (path: string) => `http://127.0.0.1:${loopback.port}${path}`;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${dev.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function stream(path: string, init: { body?: unknown; lastEventId?: number; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(`${dev.url}${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: { ...headers, accept: "text/event-stream", ...(init.lastEventId !== undefined ? { "last-event-id": String(init.lastEventId) } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/** A remote HTTP agent on the loopback server whose requests are held until released or aborted. */
async function holder(name: string): Promise<string> {
  expect((await call("PUT", `/agents/${name}`, { kind: "http", url: remote(`/hold/${name}`) })).status).toBe(200);
  return name;
}

const hook = async (path: string) => {
  const res = await fetch(remote(path));
  expect(res.status, path).toBe(200);
  return res.json() as Promise<any>;
};

beforeAll(async () => {
  loopback = await startTestServer();
  dev = await startWranglerDev({ SWITCHBOARD_STREAM_GRACE_MS: "1000" });
});
afterAll(async () => {
  await dev?.stop();
  await new Promise((resolve) => loopback?.server.close(resolve));
});

describe("streaming over HTTP", () => {
  it("streams a reply as it comes, and resumes with Last-Event-ID losing and repeating nothing", async () => {
    const echoed = await new EventReader(await stream("/agents/narrator/invoke", { body: { content: { text: "over the wire", agent: "echo" } } })).all();
    expect(echoed.map((e) => e.event)).toEqual(["start", "delta", "delta", "reply"]);
    expect(echoed.at(-1)?.data.content).toBe("echo: over the wire");

    const held = await holder("e2e-held-resume");
    const first = new EventReader(await stream("/agents/narrator/invoke", { body: { content: { text: "wait", agent: held } } }));
    const start = await first.until((e) => e.event === "start");
    const intro = await first.until((e) => e.event === "delta");
    await hook(`/_arrived/${held}`);
    await first.close();
    const resumed = new EventReader(await stream(`/streams/${start.data.stream_id}`, { lastEventId: intro.id as number }));
    await hook(`/_release/${held}`);
    const rest = await resumed.all();
    expect(rest.map((e) => e.id)).toEqual([3, 4]);
    expect(rest.at(-1)?.data.content).toBe(`${held}: released ${held}`);
    expect(await new EventReader(await stream(`/streams/${start.data.stream_id}`)).all()).toEqual([...first.seen, ...rest]);
  });

  it("DELETE /requests/:id cancels through two hops: the remote agent sees its request aborted", async () => {
    const held = await holder("e2e-held-delete");
    const sent = await call("POST", "/agents/narrator/messages", { content: { text: "cancel me", agent: held } });
    expect(sent.status).toBe(202);
    await hook(`/_arrived/${held}`);
    const cancelled = await call("DELETE", `/requests/${sent.body.request_id}`);
    expect(cancelled.body).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    expect((await hook(`/_aborted/${held}`)).aborted).toBe(true);
    const rows = await eventually(
      async () => {
        const log = (await call("GET", `/agents/${held}/log`)).body.entries as Array<{ outcome: string; pattern: string }>;
        return log.find((r) => r.outcome === "cancelled");
      },
      E2E_POLL.timeoutMs,
      "the remote agent's cancelled row",
      E2E_POLL.intervalMs,
    );
    expect(rows.pattern).toBe("ctx.invokeStream");
    expect((await call("GET", `/requests/${sent.body.request_id}`)).body.status).toBe("cancelled");
  });

  // A sync client's disconnect is tested in workerd (test/workers/cancellation.test.ts): wrangler dev's
  // proxy does not pass a disconnect on to the worker before it answers (docs/streaming.md).
  it("a streaming client that disconnects and does not come back within the grace cancels the call", async () => {
    const streamed = await holder("e2e-held-stream");
    const reader = new EventReader(await stream("/agents/narrator/invoke", { body: { content: { text: "bye", agent: streamed } } }));
    const start = await reader.until((e) => e.event === "start");
    await hook(`/_arrived/${streamed}`);
    await reader.close();
    expect((await hook(`/_aborted/${streamed}`)).aborted).toBe(true);
    const replay = await new EventReader(await stream(`/streams/${start.data.stream_id}`)).all();
    expect(replay.at(-1)).toMatchObject({ event: "error", data: { code: "cancelled" } });
  });
});

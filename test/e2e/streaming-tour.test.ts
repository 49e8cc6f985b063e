/**
 * The README's streaming steps against `wrangler dev`, as the curls run them: a model agent that
 * delegates streams a step and its answer word by word, a reconnect with Last-Event-ID gets exactly
 * the rest; then a long relayed call (narrator → ticker) cancelled by DELETE ends `cancelled` in
 * the request and in both agents' logs, and a streaming one stops at once with DELETE /streams/:id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devApi } from "../support/dev-api";
import { E2E_POLL, eventually } from "../support/poll";
import { EventReader } from "../support/sse";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
const headers = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

const call = (method: string, path: string, body?: unknown) => devApi(dev, method, path, body);

async function events(path: string, init: { body?: unknown; lastEventId?: number } = {}): Promise<EventReader> {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: { ...headers, accept: "text/event-stream", ...(init.lastEventId !== undefined ? { "last-event-id": String(init.lastEventId) } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return new EventReader(res);
}

function cancelledRow(agent: string, pattern: string): Promise<any> {
  return eventually(
    async () =>
      ((await call("GET", `/agents/${agent}/log?limit=20`)).body.entries as any[]).find(
        (r) => r.direction === "in" && r.pattern === pattern && r.outcome === "cancelled",
      ),
    E2E_POLL.timeoutMs,
    `a cancelled row in ${agent}'s log`,
    E2E_POLL.intervalMs,
  );
}

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("README: streaming and cancellation", () => {
  it("12. a model agent delegates and streams its answer; a reconnect gets the rest", async () => {
    const seen = await (await events("/agents/concierge/invoke", { body: { content: "Summarize: Ship it. Tell the team." } })).all();
    expect(seen.map((e) => [e.id, e.event])).toEqual([
      [1, "start"],
      [2, "step"],
      [3, "delta"],
      [4, "delta"],
      [5, "delta"],
      [6, "reply"],
    ]);
    expect(seen[0]?.data.stream_id).toMatch(/^str_concierge_0_/);
    expect(seen[1]?.data).toMatchObject({ type: "tool_call", tool: "summarizer", outcome: "ok" });
    expect(seen[2]?.data).toEqual({ text: '{"summary":"Summarize: ' });
    const reply = seen[5]?.data;
    expect(reply).toMatchObject({ from: "concierge", role: "reply", content: '{"summary":"Summarize: Ship it.","words":6}' });
    expect(
      seen
        .filter((e) => e.event === "delta")
        .map((e) => e.data.text)
        .join(""),
    ).toBe(reply.content);

    const rest = await (await events(`/streams/${seen[0]?.data.stream_id}`, { lastEventId: 3 })).all();
    expect(rest).toEqual(seen.slice(3));
  });

  it("13. cancelling a long relayed call stops every hop", async () => {
    const sent = await call("POST", "/agents/narrator/messages", { content: { agent: "ticker", text: { count: 60, every_ms: 500 } } });
    expect(sent.status).toBe(202);
    await eventually(
      async () => ((await call("GET", "/agents/ticker")).body.status.in_flight > 0 ? true : undefined),
      E2E_POLL.timeoutMs,
      "ticker to be ticking",
      E2E_POLL.intervalMs,
    );
    const cancelled = await call("DELETE", `/requests/${sent.body.request_id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ request_id: sent.body.request_id, status: "cancelled", error: { code: "cancelled" } });

    const ticker = await cancelledRow("ticker", "ctx.invokeStream");
    expect(ticker.from).toBe("narrator");
    // It stopped at its signal, long before its 60 ticks (30 s) were through.
    expect(ticker.duration_ms).toBeLessThan(20_000);
    await cancelledRow("narrator", "async");
    expect((await call("GET", `/requests/${sent.body.request_id}`)).body.status).toBe("cancelled");
    expect((await call("GET", "/agents/ticker")).body.status.in_flight).toBe(0);

    // A streaming call stops at once with DELETE /streams/<id>, its reader still attached.
    const reader = await events("/agents/narrator/invoke", { body: { content: { agent: "ticker", text: { count: 60, every_ms: 500 } } } });
    const streamId = (await reader.until((e) => e.event === "start")).data.stream_id as string;
    await reader.until((e) => e.event === "delta" && String(e.data.text).includes("tick"));
    const stopped = await call("DELETE", `/streams/${streamId}`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toEqual({ stream_id: streamId, status: "cancelled" });
    expect(await reader.until((e) => e.event === "error" || e.event === "reply")).toMatchObject({ event: "error", data: { code: "cancelled" } });
    const streamed = await cancelledRow("narrator", "invoke");
    expect(streamed.detail).toContain(`DELETE /streams/${streamId}`);
  });
});

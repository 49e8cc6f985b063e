/**
 * Work in flight survives a restart of `wrangler dev`, as a developer restarts it: the local queue
 * does not outlive the process, but every stored request holds a lease, and the agent's alarm
 * enqueues again the requests whose queue message never came.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBody, safeJson } from "../support/loopback-http.ts";
import { eventually } from "../support/poll";
import { devApi } from "../support/dev-api";
import { type DevServer, sleep, startWranglerDev } from "../support/wrangler-dev";

const MESSAGES = 20;
const SLOW_MS = 1000;

let dev: DevServer;
let slow: Server;
let slowUrl: string;
/** Request ids the slow agent answered, with how often. */
const answered = new Map<string, number>();

const call = (method: string, path: string, body?: unknown) => devApi(dev, method, path, body);

beforeAll(async () => {
  slow = createServer(async (req, res) => {
    const envelope = safeJson<{ metadata?: { request_id?: string } }>(await readBody(req));
    await sleep(SLOW_MS);
    const id = envelope?.metadata?.request_id ?? "?";
    answered.set(id, (answered.get(id) ?? 0) + 1);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ content: { done: id } }));
  });
  await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
  slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}`;
  // A short lease, so the test waits seconds rather than the default two minutes.
  dev = await startWranglerDev({ SWITCHBOARD_DELIVERY_LEASE_MS: "3000" });
});
afterAll(async () => {
  await dev?.stop();
  await new Promise((r) => slow?.close(r));
});

describe("restarting wrangler dev with work in flight", () => {
  it("delivers every accepted message after a restart mid-flight (audit: 18 of 20 stayed pending for good)", { timeout: 180_000 }, async () => {
    // Few slots, so most messages are still queued at the restart; retries quick and plenty, so a
    // machine under load that fills the slots never dead-letters one.
    const limits = { max_concurrency: 3, timeout_ms: 10_000, max_retries: 20, retry_delay_ms: 200, max_retry_delay_ms: 2000 };
    const put = await call("PUT", "/agents/slow", { kind: "http", url: `${slowUrl}/agent`, limits });
    expect(put.status).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const sent = await call("POST", "/agents/slow/messages", { content: { n: i } });
      expect(sent.status).toBe(202);
      ids.push(sent.body.request_id);
    }
    await sleep(2500);
    const before = answered.size;
    expect(before).toBeLessThan(MESSAGES);

    await dev.restart();

    const finals = await eventually(
      async () => {
        const states = await Promise.all(ids.map(async (id) => (await call("GET", `/requests/${id}`)).body));
        return states.every((s) => s.status === "replied") ? states : undefined;
      },
      150_000,
      "every request to be replied after the restart",
      500,
    );
    expect(finals.map((s) => s.reply.content)).toEqual(ids.map((id) => ({ done: id })));
    for (const id of ids) expect(answered.get(id), id).toBeGreaterThanOrEqual(1);
    console.log(`restart: ${before} of ${MESSAGES} answered before the restart, all ${MESSAGES} replied after it`);
  });
});

/**
 * The docs/patterns.md walkthrough against a real `wrangler dev`: map-reduce, the example chain,
 * and an observer receiving an event through the real fan-out queue.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/poll";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
let hook: Server;
let hookUrl = "";
const events: unknown[] = [];
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const post = (path: string, body: unknown) => fetch(`${dev.url}${path}`, { method: "POST", headers: admin, body: JSON.stringify(body) });

beforeAll(async () => {
  hook = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => {
      events.push(JSON.parse(text));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
  await new Promise((resolve) => hook?.close(resolve));
});

describe("patterns over wrangler dev", () => {
  it("map-reduces a word count", async () => {
    const res = await post("/patterns/map-reduce", {
      data: ["the cat sat", "the dog ran", "a cat ran"],
      mappers: ["wordcount-map", "wordcount-map"],
      reducer: "wordcount-reduce",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { chunks: number; result: { content: { words: number; counts: Record<string, number> } } };
    expect(body.chunks).toBe(2);
    expect(body.result.content.words).toBe(9);
    expect(body.result.content.counts.cat).toBe(2);
  });

  it("walks the example chain and answers 422 for an unhandled type", async () => {
    const res = await post("/agents/triage/invoke", { content: "charged twice", metadata: { type: "refund" } });
    expect(((await res.json()) as { metadata: unknown }).metadata).toMatchObject({ handled_by: "billing", path: ["triage", "billing"] });
    expect((await post("/agents/triage/invoke", { content: "?", metadata: { type: "legal" } })).status).toBe(422);
  });

  it("delivers an event to a URL observer through the fan-out queue", async () => {
    expect((await post("/agents/echo/observers", { url: hookUrl })).status).toBe(201);
    const emitted = await post("/agents/echo/events", { event: "hello", data: { n: 1 } });
    expect(emitted.status).toBe(202);
    await eventually(async () => (events.length > 0 ? events : undefined), 15_000, "the observer's event", 100);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ role: "event", from: "echo", content: { event: "hello", data: { n: 1 } } });
  });
});

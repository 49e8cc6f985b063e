/**
 * The README tour against a real `wrangler dev`, over HTTP, as a user runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

beforeAll(async () => {
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
});

describe("wrangler dev tour", () => {
  it("answers health without a key and 401 without one elsewhere", async () => {
    expect((await fetch(`${dev.url}/health`)).status).toBe(200);
    const res = await fetch(`${dev.url}/agents`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("lists the example agents and invokes echo and planner", async () => {
    const list = (await (await fetch(`${dev.url}/agents`, { headers: admin })).json()) as { agents: Array<{ name: string }> };
    expect(list.agents.map((a) => a.name)).toEqual(expect.arrayContaining(["echo", "planner", "summarizer"]));
    const echo = await fetch(`${dev.url}/agents/echo/invoke`, { method: "POST", headers: admin, body: JSON.stringify({ content: "hello" }) });
    expect(echo.status).toBe(200);
    expect(((await echo.json()) as { content: unknown }).content).toBe("hello");
    const plan = await fetch(`${dev.url}/agents/planner/invoke`, { method: "POST", headers: admin, body: JSON.stringify({ content: "Write it. Test it." }) });
    const body = (await plan.json()) as { content: { steps: string[] } };
    expect(body.content.steps).toEqual(["1. Write it.", "2. Test it."]);
  });

  it("rejects malformed JSON with problem+json", async () => {
    const res = await fetch(`${dev.url}/agents/echo/invoke`, { method: "POST", headers: admin, body: "{nope" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_request");
  });
});

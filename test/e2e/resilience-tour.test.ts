/**
 * README tour step 8 (the walkthrough of docs/resilience.md) against `wrangler dev` and
 * examples/flaky-agent.mjs: the flaky agent trips its breaker, its messages land in the dead-letter
 * queue, and the agent's letters are replayed (POST /dlq/replay).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADMIN_KEY, type DevServer, freePort, startWranglerDev } from "../support/wrangler-dev";
import { E2E_POLL, eventually } from "../support/poll";

const SECRET = "whsec_ZTJlLXNpZ25pbmctc2VjcmV0LWZvci1zd2l0Y2hib2FyZA==";
let dev: DevServer;
let flaky: ChildProcess;
let flakyUrl: string;
const headers = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${dev.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  const port = await freePort();
  flakyUrl = `http://127.0.0.1:${port}`;
  flaky = spawn(process.execPath, ["examples/flaky-agent.mjs", String(port)], { env: { ...process.env, SWITCHBOARD_SIGNING_SECRET: SECRET }, stdio: "pipe" });
  await new Promise<void>((resolve) => flaky.stdout?.once("data", () => resolve()));
  dev = await startWranglerDev({ SWITCHBOARD_SIGNING_SECRET: SECRET });
});
afterAll(async () => {
  flaky?.kill();
  await dev?.stop();
});

describe("resilience walkthrough", () => {
  it("trips the breaker, dead-letters, and replays", async () => {
    const config = {
      kind: "http",
      url: `${flakyUrl}/fail`,
      limits: { max_retries: 2, retry_delay_ms: 500 },
      breaker: { failure_threshold: 3, recovery_timeout_ms: 2000 },
    };
    expect((await call("PUT", "/agents/flaky", config)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call("POST", "/agents/flaky/invoke", { content: i })).body.code).toBe("agent_error");
    const open = await call("POST", "/agents/flaky/invoke", { content: "again" });
    expect(open.status).toBe(503);
    expect(open.body.code).toBe("circuit_open");
    expect(Number(open.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await call("GET", "/agents/flaky/breaker")).body.state).toBe("open");

    const sent = await call("POST", "/agents/flaky/messages", { content: "important" });
    expect(sent.status).toBe(202);
    const dead = await eventually(
      async () => {
        const r = await call("GET", `/requests/${sent.body.request_id}`);
        return r.body.status === "dead_lettered" ? r.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    expect(dead.attempts).toBe(3);
    const entry = await eventually(async () => (await call("GET", "/dlq?agent=flaky")).body.entries[0], E2E_POLL.timeoutMs, "condition", E2E_POLL.intervalMs);
    expect(entry.message.content).toBe("important");

    // The agent recovers; replay the dead letter.
    expect((await call("PUT", "/agents/flaky", { ...config, url: `${flakyUrl}/ok` })).status).toBe(200);
    expect((await call("POST", "/agents/flaky/breaker/reset")).body.state).toBe("closed");
    const replay = await call("POST", "/dlq/replay", { agent: "flaky" });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ agent: "flaky", replaying: [entry.id], failed: [], remaining: 0, cursor: null });
    const replied = await eventually(
      async () => {
        const r = await call("GET", `/requests/${sent.body.request_id}`);
        return r.body.status === "replied" ? r.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    expect(replied.reply.content).toBe('ok: "important"');
    await eventually(
      async () => ((await call("GET", `/dlq/${entry.id}`)).status === 404 ? true : undefined),
      E2E_POLL.timeoutMs,
      "condition",
      E2E_POLL.intervalMs,
    );
    // Every delivery carried a valid signature (the flaky agent answers 401 otherwise).
    const stats = (await (await fetch(`${flakyUrl}/stats`)).json()) as Record<string, number>;
    expect(stats["/ok"]).toBe(1);
  });
});

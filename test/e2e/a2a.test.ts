/**
 * An unmodified @a2a-js/sdk client against a real `wrangler dev`: discover the card, send a
 * message, read and cancel tasks, error codes, and 401 without a key.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  createAuthenticatingFetchWithRetry,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { isJsonRpcError } from "@a2a-js/sdk/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/poll";
import { startTestServer } from "../support/test-server";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
let remote: { server: Server; port: number };
const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

beforeAll(async () => {
  remote = await startTestServer();
  dev = await startWranglerDev();
});
afterAll(async () => {
  await dev?.stop();
  await new Promise<void>((resolve) => (remote ? remote.server.close(() => resolve()) : resolve()));
});

/** The SDK's own client, built from the card URL, carrying a Bearer key on every request. */
function clientFor(cardUrl: string, key: string | null): Promise<Client> {
  const fetchImpl = key
    ? createAuthenticatingFetchWithRetry(fetch, { headers: async () => ({ Authorization: `Bearer ${key}` }), shouldRetryWithHeaders: async () => undefined })
    : fetch;
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    }),
  );
  return factory.createFromUrl(cardUrl, "");
}

function text(value: string): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId: "",
    taskId: "",
    role: 1,
    parts: [{ content: { $case: "text", value }, mediaType: "text/plain", filename: "", metadata: {} }],
    metadata: {},
    extensions: [],
    referenceTaskIds: [],
  };
}

describe("A2A against wrangler dev", () => {
  it("serves the card publicly with the JSON-RPC interface at this origin", async () => {
    const res = await fetch(`${dev.url}/a2a/planner/.well-known/agent-card.json`);
    expect(res.status).toBe(200);
    const card = (await res.json()) as { name: string; supportedInterfaces: Array<{ url: string; protocolVersion: string }> };
    expect(card.name).toBe("planner");
    expect(card.supportedInterfaces[0]).toMatchObject({ url: `${dev.url}/a2a/planner`, protocolVersion: "1.0" });
  });

  it("discovers, sends a message and gets the task", async () => {
    const client = await clientFor(`${dev.url}/a2a/planner/.well-known/agent-card.json`, DEV_ADMIN_KEY);
    const task = (await client.sendMessage({ message: text("Write it. Test it.") } as never)) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const reply = task.artifacts[0]?.parts[0]?.content;
    expect(reply).toMatchObject({ $case: "data", value: { steps: ["1. Write it.", "2. Test it."] } });
    const again = await client.getTask({ id: task.id } as never);
    expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(again.history.map((m) => m.messageId)).toContain(task.history[0]?.messageId);
  });

  it("CancelTask cancels a running task's invocation: the remote agent sees its request aborted", async () => {
    const name = `held-${crypto.randomUUID().slice(0, 8)}`;
    const hook = (path: string) => fetch(`http://127.0.0.1:${remote.port}${path}`).then((r) => r.json() as Promise<any>);
    const put = await fetch(`${dev.url}/agents/${name}`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ kind: "http", url: `http://127.0.0.1:${remote.port}/hold/${name}` }),
    });
    expect(put.status).toBe(200);
    const client = await clientFor(`${dev.url}/a2a/${name}/.well-known/agent-card.json`, DEV_ADMIN_KEY);
    const started = (await client.sendMessage({ message: text("take your time"), configuration: { returnImmediately: true } } as never)) as Task;
    expect(started.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    await hook(`/_arrived/${name}`);
    const canceled = await client.cancelTask({ id: started.id } as never);
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await hook(`/_aborted/${name}`)).aborted).toBe(true);
    const row = await eventually(
      async () => {
        const log = (await (await fetch(`${dev.url}/agents/${name}/log`, { headers: admin })).json()) as {
          entries: Array<{ outcome: string; pattern: string }>;
        };
        return log.entries.find((e) => e.pattern === "a2a");
      },
      6000,
      "the agent's a2a row",
      100,
    );
    expect(row.outcome).toBe("cancelled");
    expect((await client.getTask({ id: started.id } as never)).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it("README tour 19: the card and the README's own JSON-RPC SendMessage, sent as written", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const step = readme.slice(readme.indexOf("### 19. Connect an A2A client"));
    const card = await fetch(`${dev.url}/a2a/planner/.well-known/agent-card.json`);
    expect(((await card.json()) as { supportedInterfaces: Array<{ url: string }> }).supportedInterfaces[0]?.url).toBe(`${dev.url}/a2a/planner`);
    const body = /curl -s \$SB\/a2a\/planner -H "\$KEY" -H "\$JSON" -d '([^']*)'/.exec(step)?.[1];
    expect(body, "the step's SendMessage curl").toBeDefined();
    const res = await fetch(`${dev.url}/a2a/planner`, { method: "POST", headers: admin, body });
    expect(res.status).toBe(200);
    const task = ((await res.json()) as { result: { task: { status: { state: string }; artifacts: unknown[] } } }).result.task;
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(JSON.stringify(task.artifacts)).toContain("2. Test it.");
  });

  it("answers TaskNotFound (-32001) for an unknown task", async () => {
    const client = await clientFor(`${dev.url}/a2a/echo/.well-known/agent-card.json`, DEV_ADMIN_KEY);
    const error = await client.getTask({ id: "no-such-task" } as never).catch((e: unknown) => e);
    expect(isJsonRpcError(error)).toBe(true);
    expect((error as { envelopeCode: number }).envelopeCode).toBe(-32001);
    const raw = await fetch(`${dev.url}/a2a/echo`, {
      method: "POST",
      headers: { ...admin, "a2a-version": "1.0" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "CancelTask", params: { id: "no-such-task" } }),
    });
    expect(((await raw.json()) as { error: { code: number } }).error.code).toBe(-32001);
  });

  it("refuses a client without a key with 401", async () => {
    const client = await clientFor(`${dev.url}/a2a/echo/.well-known/agent-card.json`, null);
    await expect(client.sendMessage({ message: text("hi") } as never)).rejects.toThrow(/401/);
    const raw = await fetch(`${dev.url}/a2a/echo`, { method: "POST", body: "{}" });
    expect(raw.status).toBe(401);
  });
});

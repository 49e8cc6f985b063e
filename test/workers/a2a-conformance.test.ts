import { exports } from "cloudflare:workers";
import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { api, testServer, uniqueName } from "../support/api";
import { a2aClient, WORKER_ORIGIN } from "../support/a2a-client";
import { KEYS } from "../support/keys";

function dataMessage(value: Record<string, unknown>, extra: Partial<Message> = {}): Message {
  const part = { content: { $case: "data" as const, value }, mediaType: "application/json", filename: "", metadata: {} };
  return { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: 1, parts: [part], metadata: {}, extensions: [], referenceTaskIds: [], ...extra };
}

function rpc(name: string, body: unknown, path = `/a2a/${name}`) {
  return api("POST", path, { body, headers: { "a2a-version": "1.0" } });
}

const send = (messageId: string, text = "hi") => ({
  jsonrpc: "2.0",
  id: 1,
  method: "SendMessage",
  params: { message: { messageId, role: "ROLE_USER", parts: [{ text }] } },
});

describe("A2A: input required over the SDK client", () => {
  it("an approval asks (TASK_STATE_INPUT_REQUIRED), and a follow-up message on the task answers it", async () => {
    const client = await a2aClient("approver");
    const asked = (await client.sendMessage({ message: dataMessage({ item: "laptop", amount: 1200 }) } as never)) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const question = asked.status?.message?.parts[0]?.content;
    expect(question).toEqual({ $case: "text", value: "Approve 1200 for laptop?" });
    const requestId = asked.metadata?.requestId as string;
    expect((await api("GET", `/requests/${requestId}`)).body.status).toBe("input_required");

    const done = (await client.sendMessage({ message: dataMessage({ approved: true }, { taskId: asked.id, contextId: asked.contextId }) } as never)) as Task;
    expect(done.id).toBe(asked.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(done.artifacts.at(-1)?.parts[0]?.content).toEqual({ $case: "data", value: { status: "approved", item: "laptop", amount: 1200, by: "admin" } });
    // Task history: both messages of the caller, in order.
    const task = await client.getTask({ id: asked.id } as never);
    expect(task.history.filter((m) => m.role === 1).map((m) => m.parts[0]?.content)).toEqual([
      { $case: "data", value: { item: "laptop", amount: 1200 } },
      { $case: "data", value: { approved: true } },
    ]);
    expect((await api("GET", `/requests/${requestId}`)).body.status).toBe("replied");
  });

  it("CancelTask of a waiting task cancels the request it waits as", async () => {
    const client = await a2aClient("approver");
    const asked = (await client.sendMessage({ message: dataMessage({ item: "car", amount: 30000 }) } as never)) as Task;
    const canceled = await client.cancelTask({ id: asked.id } as never);
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await api("GET", `/requests/${asked.metadata?.requestId}`)).body.status).toBe("cancelled");
  });

  it("a waiting request cancelled over HTTP ends its task too", async () => {
    const client = await a2aClient("approver");
    const asked = (await client.sendMessage({ message: dataMessage({ item: "desk", amount: 400 }) } as never)) as Task;
    await api("DELETE", `/requests/${asked.metadata?.requestId}`);
    expect((await client.getTask({ id: asked.id } as never)).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });
});

describe("A2A conformance items", () => {
  it("Content-Type text/plain is -32005 ContentTypeNotSupported, and the body is not processed", async () => {
    const name = uniqueName("ct");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const res = await exports.default.fetch(
      new Request(`${WORKER_ORIGIN}/a2a/${name}`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEYS.admin}`, "content-type": "text/plain", "a2a-version": "1.0" },
        body: JSON.stringify(send(crypto.randomUUID())),
      }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32005);
    const list = await rpc(name, { jsonrpc: "2.0", id: 2, method: "ListTasks", params: {} });
    expect(list.body.result.tasks ?? []).toHaveLength(0);
  });

  it("Switchboard's metadata keys in messages and artifacts are camelCase", async () => {
    const res = await rpc("echo", send(crypto.randomUUID()));
    const task = res.body.result.task;
    for (const metadata of [task.artifacts[0].metadata, task.status.message.metadata]) {
      expect(metadata).toMatchObject({ handledBy: "echo", inReplyTo: expect.any(String), durationMs: expect.any(Number) });
      expect(Object.keys(metadata).filter((k) => k.includes("_"))).toEqual([]);
    }
  });

  it("the card carries ETag and, for a configured agent, Last-Modified; both revalidate to 304", async () => {
    const card = await api("GET", "/a2a/echo/.well-known/agent-card.json", { as: null });
    const etag = card.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await exports.default.fetch(
      new Request(`${WORKER_ORIGIN}/a2a/echo/.well-known/agent-card.json`, { headers: { "if-none-match": etag as string } }),
    );
    expect(again.status).toBe(304);
    const name = uniqueName("dated");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const dated = await api("GET", `/a2a/${name}/.well-known/agent-card.json`, { as: null });
    const modified = dated.headers.get("last-modified") ?? "";
    expect(Date.parse(modified)).toBeGreaterThan(Date.now() - 60_000);
    const since = await exports.default.fetch(
      new Request(`${WORKER_ORIGIN}/a2a/${name}/.well-known/agent-card.json`, { headers: { "if-modified-since": modified } }),
    );
    expect(since.status).toBe(304);
    const stale = await exports.default.fetch(
      new Request(`${WORKER_ORIGIN}/a2a/echo/.well-known/agent-card.json`, { headers: { "if-none-match": '"other"' } }),
    );
    expect(stale.status).toBe(200);
  });

  it("POST /a2a/:name/ (trailing slash) is the same binding", async () => {
    const res = await rpc("echo", send(crypto.randomUUID()), "/a2a/echo/");
    expect(res.status).toBe(200);
    expect(res.body.result.task.status.state).toBe("TASK_STATE_COMPLETED");
  });

  it("the host's /.well-known/agent-card.json is a public directory card naming the agents", async () => {
    const res = await api("GET", "/.well-known/agent-card.json", { as: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBeTruthy();
    expect(res.body.name).toBe("Switchboard");
    const skills = res.body.skills.map((s: { id: string }) => s.id);
    expect(skills).toEqual(expect.arrayContaining(["echo", "approver", "summarizer"]));
    expect(res.body.skills.find((s: { id: string }) => s.id === "echo").description).toContain(`${WORKER_ORIGIN}/a2a/echo/.well-known/agent-card.json`);
  });

  it("bad input is a JSON-RPC error with HTTP 200, never a 500", async () => {
    for (const body of [
      { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId: 42, parts: "nope" } } },
      { jsonrpc: "2.0", id: 2, method: "GetTask", params: { id: { nested: true } } },
      { jsonrpc: "2.0", id: 3, method: "SubscribeToTask", params: { id: "no-such-task" } },
      { jsonrpc: "2.0", id: 4, method: "NoSuchMethod", params: {} },
    ]) {
      const res = await rpc("echo", body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.body.error.code, JSON.stringify(res.body)).toBeLessThan(0);
    }
  });

  it("SubscribeToTask on a waiting task sends the task, then its end when the follow-up answers it", async () => {
    const client = await a2aClient("approver");
    const asked = (await client.sendMessage({ message: dataMessage({ item: "chair", amount: 150 }) } as never)) as Task;
    const events: string[] = [];
    const subscription = (async () => {
      for await (const event of client.resubscribeTask({ id: asked.id } as never)) {
        const { payload } = event as { payload: { $case: string; value: { status?: { state: TaskState } } } };
        events.push(payload.value.status ? `${payload.$case}:${TaskState[payload.value.status.state]}` : payload.$case);
      }
    })();
    await client.sendMessage({ message: dataMessage({ approved: true }, { taskId: asked.id, contextId: asked.contextId }) } as never);
    await subscription;
    expect(events).toEqual(["task:TASK_STATE_INPUT_REQUIRED", "statusUpdate:TASK_STATE_WORKING", "artifactUpdate", "statusUpdate:TASK_STATE_COMPLETED"]);
  });
});

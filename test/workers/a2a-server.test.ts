import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { aborted, api, arrived, eventually, received, release, testServer, uniqueName } from "../support/api";
import { a2aClient, WORKER_ORIGIN } from "../support/a2a-client";
import { KEYS } from "../support/keys";

function userMessage(content: string | Record<string, unknown>, extra: Partial<Message> = {}): Message {
  const part =
    typeof content === "string"
      ? { content: { $case: "text" as const, value: content }, mediaType: "text/plain", filename: "", metadata: {} }
      : { content: { $case: "data" as const, value: content }, mediaType: "application/json", filename: "", metadata: {} };
  return { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: 1, parts: [part], metadata: {}, extensions: [], referenceTaskIds: [], ...extra };
}

async function rpc(name: string, body: unknown, as: keyof typeof KEYS | null = "admin") {
  return api("POST", `/a2a/${name}`, { as, body, headers: { "a2a-version": "1.0" } });
}

describe("agent card", () => {
  it("is public and generated from the registry entry", async () => {
    const res = await api("GET", "/a2a/summarizer/.well-known/agent-card.json", { as: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "summarizer",
      version: "1.2.0",
      supportedInterfaces: [{ url: `${WORKER_ORIGIN}/a2a/summarizer`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
      capabilities: { streaming: true },
      defaultInputModes: ["text/plain", "application/json"],
    });
    expect(res.body.securitySchemes.bearer.httpAuthSecurityScheme.scheme).toBe("Bearer");
    expect(res.body.skills.length).toBeGreaterThan(0);
    const legacy = await api("GET", "/a2a/summarizer/.well-known/agent.json", { as: null });
    expect(legacy.body.name).toBe("summarizer");
  });

  it("lists capabilities and handled types as skills", async () => {
    const name = uniqueName("skills");
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/ok/${name}`, capabilities: ["translate"], handles: ["billing"], version: "2.1.0" },
    });
    const card = (await api("GET", `/a2a/${name}/.well-known/agent-card.json`, { as: null })).body;
    expect(card.version).toBe("2.1.0");
    expect(card.skills.map((s: { id: string }) => s.id)).toEqual(["translate", "billing"]);
  });

  it("404s an unknown agent with a problem", async () => {
    const res = await api("GET", "/a2a/nobody-here/.well-known/agent-card.json", { as: null });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("agent_not_found");
  });
});

describe("JSON-RPC binding through the SDK client", () => {
  it("sends a message and answers a completed task with the reply", async () => {
    const client = await a2aClient("echo");
    const result = (await client.sendMessage({ message: userMessage({ hello: "a2a" }) } as never)) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(result.artifacts[0]?.parts[0]?.content).toEqual({ $case: "data", value: { hello: "a2a" } });
    const fetched = await client.getTask({ id: result.id } as never);
    expect(fetched.id).toBe(result.id);
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const log = await api("GET", "/agents/echo/log?limit=20");
    expect(log.body.entries.some((e: { pattern: string; outcome: string }) => e.pattern === "a2a" && e.outcome === "ok")).toBe(true);
  });

  it("passes text through a code agent that calls another", async () => {
    const client = await a2aClient("planner");
    const result = (await client.sendMessage({ message: userMessage("Ship it. Tell the team.") } as never)) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const reply = result.artifacts[0]?.parts[0]?.content;
    expect(reply?.$case).toBe("data");
    expect((reply as { value: { steps: string[] } }).value.steps).toEqual(["1. Ship it.", "2. Tell the team."]);
  });

  it("answers TaskNotFound (-32001) for an unknown task, and TaskNotCancelable (-32002) for a finished one", async () => {
    const missing = await rpc("echo", { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "no-such-task" } });
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ jsonrpc: "2.0", id: 1, error: { code: -32001 } });
    const client = await a2aClient("echo");
    const done = (await client.sendMessage({ message: userMessage("x") } as never)) as Task;
    const cancel = await rpc("echo", { jsonrpc: "2.0", id: 2, method: "CancelTask", params: { id: done.id } });
    expect(cancel.body.error.code).toBe(-32002);
    await expect(client.getTask({ id: "no-such-task" } as never)).rejects.toThrow(/not found/i);
  });

  it("cancels a task that is still running: the invocation is aborted down to the remote agent", async () => {
    const name = uniqueName("held");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/hold/${name}` } });
    const sent = await rpc(name, {
      jsonrpc: "2.0",
      id: "s",
      method: "SendMessage",
      params: { message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: "wait" }] }, configuration: { returnImmediately: true } },
    });
    const task = sent.body.result.task;
    expect(task.status.state).toBe("TASK_STATE_WORKING");
    await arrived(name);
    const canceled = await rpc(name, { jsonrpc: "2.0", id: "c", method: "CancelTask", params: { id: task.id } });
    expect(canceled.body.result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await aborted(name)).aborted).toBe(true);
    const row = await eventually(async () => (await api("GET", `/agents/${name}/log`)).body.entries.find((r: any) => r.pattern === "a2a"), 20_000);
    expect(row).toMatchObject({ direction: "in", outcome: "cancelled" });
    expect(row.detail).toContain("CancelTask");
    const after = await rpc(name, { jsonrpc: "2.0", id: "g", method: "GetTask", params: { id: task.id } });
    expect(after.body.result.status.state).toBe("TASK_STATE_CANCELED");
  });

  it("cancels running tasks of a sharded agent on whichever shard runs them", async () => {
    const name = uniqueName("held-sharded");
    // One answered call teaches this isolate the shard count, so the next calls spread over the shards.
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}-warm`, shards: 4 } });
    expect((await api("POST", `/agents/${name}/invoke`, { body: { content: "warm" } })).status).toBe(200);
    await api("PUT", `/agents/${name}`, {
      body: { kind: "http", url: `${testServer()}/hold/${name}`, shards: 4, limits: { timeout_ms: 25_000, max_concurrency: 64 } },
    });
    const tasks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const sent = await rpc(name, {
        jsonrpc: "2.0",
        id: i,
        method: "SendMessage",
        params: { message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: `wait ${i}` }] }, configuration: { returnImmediately: true } },
      });
      tasks.push(sent.body.result.task.id);
    }
    await eventually(async () => ((await received(name)).length === 8 ? true : undefined), 10_000, "8 held calls at the remote agent");
    for (const id of tasks) {
      const canceled = await rpc(name, { jsonrpc: "2.0", id, method: "CancelTask", params: { id } });
      expect(canceled.body.result.status.state).toBe("TASK_STATE_CANCELED");
    }
    // Every call ended cancelled well before its 25 s deadline, on more than the home shard.
    const rows = await eventually(
      async () => {
        const log = await api("GET", `/agents/${name}/log?limit=50`);
        const cancelled = log.body.entries.filter((e: { direction: string; outcome: string }) => e.direction === "in" && e.outcome === "cancelled");
        return cancelled.length === 8 ? (cancelled as Array<{ shard: number }>) : undefined;
      },
      10_000,
      "8 cancelled calls in the merged log",
    );
    expect(new Set(rows.map((r) => r.shard)).size).toBeGreaterThan(1);
  });

  it("lists the caller's tasks, filtered by context", async () => {
    const client = await a2aClient("echo");
    const contextId = crypto.randomUUID();
    await client.sendMessage({ message: userMessage("one", { contextId }) } as never);
    await client.sendMessage({ message: userMessage("two", { contextId }) } as never);
    const list = await rpc("echo", { jsonrpc: "2.0", id: 3, method: "ListTasks", params: { contextId, pageSize: 1 } });
    expect(list.body.result.tasks).toHaveLength(1);
    expect(list.body.result.totalSize).toBe(2);
    expect(list.body.result.nextPageToken).not.toBe("");
    const next = await rpc("echo", {
      jsonrpc: "2.0",
      id: 4,
      method: "ListTasks",
      params: { contextId, pageSize: 1, pageToken: list.body.result.nextPageToken },
    });
    expect(next.body.result.tasks).toHaveLength(1);
    expect(next.body.result.tasks[0].id).not.toBe(list.body.result.tasks[0].id);
  });

  it("keeps tasks per caller: another agent's key cannot read them", async () => {
    const mine = (await (await a2aClient("echo", KEYS.planner)).sendMessage({ message: userMessage("private") } as never)) as Task;
    const other = await rpc("echo", { jsonrpc: "2.0", id: 5, method: "GetTask", params: { id: mine.id } }, "summarizer");
    expect(other.body.error.code).toBe(-32001);
    const admin = await rpc("echo", { jsonrpc: "2.0", id: 6, method: "GetTask", params: { id: mine.id } });
    expect(admin.body.result.id).toBe(mine.id);
  });

  it("applies the ACL by the caller's key: a forbidden call is a failed task naming the code", async () => {
    const name = uniqueName("guarded");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, acl: { allow: ["planner"] } } });
    const denied = (await (await a2aClient(name, KEYS.outsider)).sendMessage({ message: userMessage("let me in") } as never)) as Task;
    expect(denied.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(denied.status?.message?.metadata).toMatchObject({ code: "forbidden" });
    const allowed = (await (await a2aClient(name, KEYS.planner)).sendMessage({ message: userMessage("hi") } as never)) as Task;
    expect(allowed.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it("streams each delta as an artifact-update with append: true as it comes, then the whole reply and the final status", async () => {
    const client = await a2aClient("ticker");
    const updates: Array<{ kind: string; text?: unknown; append?: boolean; last?: boolean; state?: string }> = [];
    for await (const event of client.sendMessageStream({ message: userMessage({ count: 3, every_ms: 0 }) } as never)) {
      const payload = event.payload;
      if (payload?.$case === "artifactUpdate") {
        const { artifact, append, lastChunk } = payload.value;
        updates.push({ kind: "artifact", text: artifact?.parts.map((p) => p.content?.value).join(""), append, last: lastChunk });
      } else if (payload?.$case === "statusUpdate") updates.push({ kind: "status", state: TaskState[payload.value.status?.state ?? 0] });
      else updates.push({ kind: payload?.$case ?? "?" });
    }
    expect(updates).toEqual([
      { kind: "task" },
      { kind: "artifact", text: "tick 1 ", append: false, last: false },
      { kind: "artifact", text: "tick 2 ", append: true, last: false },
      { kind: "artifact", text: "tick 3", append: true, last: false },
      { kind: "artifact", text: "tick 1 tick 2 tick 3", append: false, last: true },
      { kind: "status", state: "TASK_STATE_COMPLETED" },
    ]);
  });

  it("SubscribeToTask attaches to a running task: the deltas it missed, then the live tail, nothing twice", async () => {
    const name = uniqueName("sse-held");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/sse/hold/${name}` } });
    const client = await a2aClient(name);
    let taskId = "";
    for await (const event of client.sendMessageStream({ message: userMessage("go") } as never)) {
      if (event.payload?.$case === "task") taskId = event.payload.value.id;
      // The first chunk came: the client goes away, the task runs on.
      if (event.payload?.$case === "artifactUpdate") break;
    }
    expect(taskId).not.toBe("");
    const subscribed = client.resubscribeTask({ id: taskId } as never);
    const first = await subscribed.next();
    expect(first.value?.payload?.$case).toBe("task");
    await release(name);
    const rest: string[] = [];
    for await (const event of subscribed) {
      const payload = event.payload;
      if (payload?.$case === "artifactUpdate")
        rest.push(`${payload.value.append ? "+" : "="}${payload.value.artifact?.parts.map((p) => p.content?.value).join("")}`);
      if (payload?.$case === "statusUpdate") rest.push(String(TaskState[payload.value.status?.state ?? 0]));
    }
    expect(rest).toEqual(["=working ", `+released ${name}`, `=working released ${name}`, "TASK_STATE_COMPLETED"]);
    const done = await client.getTask({ id: taskId } as never);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await expect(async () => {
      for await (const _ of client.resubscribeTask({ id: taskId } as never));
    }).rejects.toThrow(/terminal state/);
  });

  it("streams task events over SSE", async () => {
    const client = await a2aClient("echo");
    const kinds: string[] = [];
    for await (const event of client.sendMessageStream({ message: userMessage("stream me") } as never)) kinds.push(event.payload?.$case ?? "?");
    expect(kinds[0]).toBe("task");
    expect(kinds).toContain("statusUpdate");
  });

  it("401s without a key and answers JSON-RPC errors for bad requests", async () => {
    const anonymous = await rpc("echo", { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }, null);
    expect(anonymous.status).toBe(401);
    const parse = await api("POST", "/a2a/echo", { raw: "{nope" });
    expect(parse.body.error.code).toBe(-32700);
    const method = await rpc("echo", { jsonrpc: "2.0", id: 7, method: "NoSuchMethod", params: {} });
    expect(method.body.error.code).toBe(-32601);
    const version = await api("POST", "/a2a/echo", {
      body: { jsonrpc: "2.0", id: 8, method: "GetTask", params: { id: "x" } },
      headers: { "a2a-version": "0.3" },
    });
    expect(version.body.error.code).toBe(-32009);
    const unknown = await rpc("nobody-here", { jsonrpc: "2.0", id: 9, method: "GetTask", params: { id: "x" } });
    expect(unknown.status).toBe(404);
  });
});

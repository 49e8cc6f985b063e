/**
 * An agent's `input_schema` is what it accepts as `content`: every path to the agent refuses other
 * content with 400 `invalid_request` naming the offending field, before the handler runs, before
 * the breaker or the cap count anything, and without storing a request or a schedule.
 */
import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import { describe, expect, it } from "vitest";
import { a2aClient } from "../support/a2a-client";
import { api, received, settled, testServer, uniqueName } from "../support/api";

const ORDER = {
  type: "object",
  properties: { sku: { type: "string" }, quantity: { type: "integer", minimum: 1 } },
  required: ["sku", "quantity"],
  additionalProperties: false,
};

/** A remote agent that accepts only an order; its loopback key is its name. */
async function orderDesk(): Promise<string> {
  const name = uniqueName("orders");
  const put = await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, input_schema: ORDER } });
  expect(put.status).toBe(200);
  return name;
}

function expectRefused(res: { status: number; headers: Headers; body: any }, field: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.body.code).toBe("invalid_request");
  expect(res.body.detail).toMatch(/does not match the input_schema of orders-/);
  expect(res.body.detail).toMatch(field);
}

describe("input_schema is enforced on every path to the agent", () => {
  it("a sync invoke with content the schema refuses is a 400 naming the field; the agent is never called and its breaker counts nothing", async () => {
    const name = await orderDesk();
    expectRefused(await api("POST", `/agents/${name}/invoke`, { body: { content: { sku: "A-1", quantity: 0 } } }), /\/quantity/);
    expectRefused(await api("POST", `/agents/${name}/invoke`, { body: { content: { sku: "A-1" } } }), /quantity/);
    expectRefused(await api("POST", `/agents/${name}/invoke`, { body: { content: { sku: "A-1", quantity: 2, note: "x" } } }), /note/);
    expectRefused(await api("POST", `/agents/${name}/invoke`, { body: { content: "two of A-1" } }), /type/);
    expect(await received(name)).toHaveLength(0);
    const breaker = await api("GET", `/agents/${name}/breaker`);
    expect(breaker.body).toMatchObject({ state: "closed", failures: 0 });

    const ok = await api("POST", `/agents/${name}/invoke`, { body: { content: { sku: "A-1", quantity: 2 } } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await received(name)).toHaveLength(1);
    // The refusals are in the agent's log, as every refused call is.
    const log = await api("GET", `/agents/${name}/log`);
    expect(log.body.entries.filter((row: { direction: string; outcome: string }) => row.direction === "in" && row.outcome === "invalid_request")).toHaveLength(
      4,
    );
  });

  it("an async message with such content is refused before it is accepted: no request is stored under its idempotency key", async () => {
    const name = await orderDesk();
    const key = crypto.randomUUID();
    expectRefused(await api("POST", `/agents/${name}/messages`, { body: { content: { sku: 7, quantity: 1 }, idempotency_key: key } }), /\/sku/);
    // Had the refused message been stored, the same key would answer with its request as a duplicate.
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: { sku: "B-2", quantity: 1 }, idempotency_key: key } });
    expect(sent.status).toBe(202);
    expect((await settled(sent.body.request_id)).status).toBe("replied");
    const calls = await received(name);
    expect(calls.map((call) => JSON.parse(call.body).content)).toEqual([{ sku: "B-2", quantity: 1 }]);
  });

  it("a streaming invoke is refused with problem+json before any event", async () => {
    const name = await orderDesk();
    const res = await api("POST", `/agents/${name}/invoke`, { body: { content: { quantity: 1 } }, headers: { accept: "text/event-stream" } });
    expectRefused(res, /sku/);
    expect(await received(name)).toHaveLength(0);
  });

  it("a schedule whose content the schema refuses is not created", async () => {
    const name = await orderDesk();
    expectRefused(await api("POST", `/agents/${name}/schedules`, { body: { every_ms: 60_000, content: { sku: "C-3", quantity: -1 } } }), /\/quantity/);
    expect((await api("GET", `/agents/${name}/schedules`)).body.schedules).toEqual([]);
    const created = await api("POST", `/agents/${name}/schedules`, { body: { every_ms: 60_000, content: { sku: "C-3", quantity: 1 } } });
    expect(created.status).toBe(201);
  });

  it("calls from other agents are refused the same way: each map-reduce chunk sent to the agent fails with invalid_request", async () => {
    const name = await orderDesk();
    const res = await api("POST", "/patterns/map-reduce", { body: { data: [1, 2, 3, 4], mappers: [name], reducer: "echo", chunk_size: 2, min_success: 0 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.map_results).toHaveLength(2);
    for (const result of res.body.map_results)
      expect(result.error).toMatchObject({ code: "invalid_request", detail: expect.stringMatching(/input_schema of orders-/) });
    expect(await received(name)).toHaveLength(0);
  });

  it("an A2A message whose parts do not make the content the schema asks for fails without running the handler", async () => {
    const client = await a2aClient("approver");
    const text: Message = {
      messageId: crypto.randomUUID(),
      contextId: "",
      taskId: "",
      role: 1,
      parts: [{ content: { $case: "text", value: "approve the laptop" }, mediaType: "text/plain", filename: "", metadata: {} }],
      metadata: {},
      extensions: [],
      referenceTaskIds: [],
    } as Message;
    const task = (await client.sendMessage({ message: text } as never)) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(task.status?.message?.metadata).toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/input_schema of approver: \/: .*"object"/),
    });
    expect(task.artifacts).toEqual([]);
  });
});

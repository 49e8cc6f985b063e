/**
 * The README's "answer an agent that asked for approval" step against `wrangler dev`: the approver
 * asks (202 input_required), the answer resumes it through the queue, and the request replies; the
 * same answer given on the dashboard in Chromium (its "Waiting for input" row); the same flow over
 * A2A with the SDK's client (an input-required task, then a follow-up message); and the host's card is the `tck` fixture's when SWITCHBOARD_A2A_AGENT names it.
 */
import { type Message, type Task, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, hasChromium, launchBrowser } from "../support/browser";
import { E2E_POLL, eventually } from "../support/poll";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

let dev: DevServer;
let browser: Browser | undefined;
/** How long the page may take to show what a refresh loads (it asks every agent, several calls each). */
const PAGE = { timeout: 15_000 };
const headers = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${dev.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  dev = await startWranglerDev({ SWITCHBOARD_A2A_AGENT: "tck" });
});
afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

describe("README: answer an agent that asked for approval", () => {
  it("asks with 202, waits, and finishes once answered", async () => {
    const asked = await call("POST", "/agents/approver/invoke", { content: { item: "laptop", amount: 1200 } });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: "input_required", input_required: { question: "Approve 1200 for laptop?" } });
    const id = asked.body.request_id;
    expect((await call("GET", `/requests/${id}`)).body.status).toBe("input_required");
    const answered = await call("POST", `/requests/${id}/input`, { content: { approved: true } });
    expect(answered.status).toBe(202);
    const done = await eventually(
      async () => {
        const res = await call("GET", `/requests/${id}`);
        return res.body.status === "replied" ? res.body : undefined;
      },
      E2E_POLL.timeoutMs,
      "the approval to finish",
      E2E_POLL.intervalMs,
    );
    expect(done.reply.content).toMatchObject({ status: "approved", item: "laptop", amount: 1200 });
  });

  it.skipIf(!hasChromium)("or on the dashboard: a wrong answer is refused, the right one finishes it", async () => {
    const asked = await call("POST", "/agents/approver/invoke", { content: { item: "chair", amount: 900 } });
    expect(asked.status).toBe(202);
    const id: string = asked.body.request_id;

    browser = await launchBrowser();
    const page = await browser.page();
    await page.goto(`${dev.url}/dashboard`);
    await page.fill('input[name="key"]', DEV_ADMIN_KEY);
    await Promise.all([page.waitForURL(`${dev.url}/dashboard`), page.click('button[type="submit"]')]);
    await page.waitForSelector('#main[data-loaded="1"]');
    const row = page.locator(`#waiting tr[data-id="${id}"]`);
    await expect.poll(() => row.textContent(), PAGE).toContain("Approve 900 for chair?");
    expect(await row.textContent()).toContain('"required":["approved"]');

    // The question's schema decides: "yes" is not a boolean, so the request keeps waiting.
    await row.locator("textarea").fill('{"approved":"yes"}');
    await row.locator('button[data-action="answer"]').click();
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toMatch(new RegExp(`answer ${id}: content: .*approved`));
    expect((await call("GET", `/requests/${id}`)).body.status).toBe("input_required");

    await row.locator("textarea").fill('{"approved":true,"note":"fine by me"}');
    await row.locator('button[data-action="answer"]').click();
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toContain(`answered ${id}`);
    const done = await eventually(
      async () => {
        const state = (await call("GET", `/requests/${id}`)).body;
        return state.status === "replied" ? state : undefined;
      },
      E2E_POLL.timeoutMs,
      "the answered approval to finish",
      E2E_POLL.intervalMs,
    );
    expect(done.reply.content).toEqual({ status: "approved", item: "chair", amount: 900, by: "admin", note: "fine by me" });
    await page.click("#refresh");
    await expect.poll(() => page.locator(`#waiting tr[data-id="${id}"]`).count(), PAGE).toBe(0);
    // Chromium logs the refused answer's 400 as a failed load; it is the page working.
    expect(browser.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it("over A2A with the SDK client: an input-required task, then a follow-up message completes it", async () => {
    const fetchImpl: typeof fetch = (input, init) => {
      const request = new Request(input as RequestInfo, init);
      request.headers.set("authorization", `Bearer ${DEV_ADMIN_KEY}`);
      return fetch(request);
    };
    const client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      }),
    ).createFromUrl(`${dev.url}/a2a/approver/`);
    const data = (value: Record<string, unknown>, extra: Partial<Message> = {}): Message => ({
      messageId: crypto.randomUUID(),
      contextId: "",
      taskId: "",
      role: 1,
      parts: [{ content: { $case: "data", value }, mediaType: "application/json", filename: "", metadata: {} }],
      metadata: {},
      extensions: [],
      referenceTaskIds: [],
      ...extra,
    });
    const asked = (await client.sendMessage({ message: data({ item: "monitor", amount: 300 }) } as never)) as Task;
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const done = (await client.sendMessage({ message: data({ approved: false }, { taskId: asked.id, contextId: asked.contextId }) } as never)) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(done.artifacts.at(-1)?.parts[0]?.content).toEqual({ $case: "data", value: { status: "rejected", item: "monitor", amount: 300, by: "admin" } });
  });

  it("the host's card is the default agent's when SWITCHBOARD_A2A_AGENT names one", async () => {
    const res = await fetch(`${dev.url}/.well-known/agent-card.json`);
    expect(res.status).toBe(200);
    const card = (await res.json()) as { name: string; supportedInterfaces: Array<{ url: string }> };
    expect(card.name).toBe("tck");
    expect(card.supportedInterfaces[0]?.url).toBe(`${dev.url}/a2a/tck`);
  });
});

/**
 * Nothing accepted is lost on its way to the dead-letter store: letters of any size the API
 * accepts arrive intact, a replay works from the letter itself for as long as the letter exists,
 * and a letter the store cannot take yet is kept and retried.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index";
import { pruneRequest } from "../support/agent-storage";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";

/** A string of `kib` KiB, over the queue's 128 KB message limit from 126 on. */
const text = (kib: number) => "lost letters ".repeat((kib * 1024) / 13);

async function deadLetterOf(agent: string): Promise<any> {
  return eventually(async () => (await api("GET", `/dlq?agent=${agent}`)).body.entries[0], 20_000, `a dead letter for ${agent}`);
}

describe("dead letters of every size the API accepts", () => {
  it("dead-letters a 150 KB async message intact (audit: it ended failed and never reached GET /dlq)", async () => {
    const content = text(150);
    const sent = await api("POST", "/agents/triage/messages", { body: { content, metadata: { type: `no-such-type-${uniqueName("t")}` } } });
    expect(sent.status).toBe(202);
    expect(await settled(sent.body.request_id)).toMatchObject({ status: "failed", error: { code: "no_handler" } });
    const entry = await eventually(async () => {
      const page = await api("GET", "/dlq?agent=triage&limit=100");
      return page.body.entries.find((e: any) => e.message?.metadata?.request_id === sent.body.request_id);
    });
    expect(entry).toMatchObject({ agent: "triage", status: "dead", error: { code: "no_handler" }, attempts: 1 });
    expect(entry.message.content).toBe(content);
  });

  it("dead-letters a large reply that a reply_to URL refused, with the full reply", async () => {
    const key = uniqueName("refusing-sink");
    const content = text(140);
    const sent = await api("POST", "/agents/echo/messages", { body: { content, reply_to: `${testServer()}/status/400/${key}` } });
    expect((await settled(sent.body.request_id)).status).toBe("replied");
    const entry = await eventually(async () => {
      const page = await api("GET", "/dlq?agent=echo&limit=100");
      return page.body.entries.find((e: any) => e.message?.metadata?.in_reply_to === sent.body.request_id);
    });
    expect(entry).toMatchObject({ agent: "echo", error: { code: "agent_error" }, message: { role: "reply", content } });
    expect(await received(key)).toHaveLength(1);
  });
});

describe("replay from the letter itself", () => {
  it("recreates and delivers a request whose row was pruned before the replay", async () => {
    const name = uniqueName("pruned");
    const url = `${testServer()}/flaky/1/${name}`;
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url, limits: { max_retries: 0 } } })).status).toBe(200);
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "keep me", timeout_ms: 20_000 } });
    expect((await settled(sent.body.request_id)).status).toBe("dead_lettered");
    const letter = await deadLetterOf(name);

    // Rows are kept 7 days, letters 14: past the first, the row is gone and only the letter is left.
    await pruneRequest(name, sent.body.request_id);
    expect((await api("GET", `/requests/${sent.body.request_id}`)).status).toBe(404);

    expect((await api("POST", `/dlq/${letter.id}/replay`)).status).toBe(202);
    const after = await settled(sent.body.request_id, ["replied"]);
    expect(after).toMatchObject({ status: "replied", attempts: 2, reply: { content: { attempt: 2 } } });
    const calls = await received(name);
    expect(calls).toHaveLength(2);
    expect(JSON.parse(calls[1]?.body ?? "{}")).toMatchObject({ content: "keep me", metadata: { request_id: sent.body.request_id } });
    await eventually(async () => ((await api("GET", `/dlq/${letter.id}`)).status === 404 ? true : undefined), 20_000, "the settled letter to go");
  });
});

describe("the switchboard-dlq consumer", () => {
  it("retries a letter the store could not take, instead of acking it", async () => {
    const stored = {
      kind: "dead_letter",
      letter: {
        agent: uniqueName("kept"),
        queue: "deliveries",
        body: {},
        error: { code: "x", detail: "y" },
        attempts: 1,
        first_failed_at: "t",
        last_failed_at: "t",
      },
    };
    // A letter the store refuses (no agent: its NOT NULL column fails) stands in for an outage of the store.
    const refused = { kind: "dead_letter", letter: { ...stored.letter, agent: null } };
    const batch = createMessageBatch<unknown>("switchboard-dlq", [
      { id: "ok-1", timestamp: new Date(), attempts: 1, body: stored },
      { id: "refused-1", timestamp: new Date(), attempts: 3, body: refused },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["ok-1"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["refused-1"]);
    expect((await api("GET", `/dlq?agent=${stored.letter.agent}`)).body.entries).toHaveLength(1);
  });
});

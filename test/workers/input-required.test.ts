import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentObjectStub, requestOutbox } from "../support/agent-storage";
import { aborted, api, arrived, eventually, received, testServer, uniqueName } from "../support/api";

const EXPENSE = { item: "laptop", amount: 1200 };

/** Invokes the approver with a large expense: it asks, and the call becomes a waiting request. */
async function ask(content: unknown = EXPENSE) {
  const res = await api("POST", "/agents/approver/invoke", { body: { content } });
  expect(res.status).toBe(202);
  return res.body as { request_id: string; status: string; status_url: string; input_required: { question: string; schema?: unknown } };
}

function statusOf(requestId: string) {
  return api("GET", `/requests/${requestId}`);
}

/** The request once it reached `status` (the resumed attempt goes through the queue). */
function settled(requestId: string, status: string) {
  return eventually(
    async () => {
      const res = await statusOf(requestId);
      return res.body.status === status ? res.body : undefined;
    },
    10_000,
    `${requestId} to be ${status}`,
  );
}

describe("input required: an agent that stops to ask", () => {
  it("a sync invoke that asks answers 202; the question waits across an eviction, and the answer finishes it", async () => {
    const small = await api("POST", "/agents/approver/invoke", { body: { content: { item: "pens", amount: 12 } } });
    expect(small.status).toBe(200);
    expect(small.body.content).toMatchObject({ status: "approved", by: "policy" });

    const asked = await ask();
    expect(asked).toMatchObject({
      status: "input_required",
      status_url: `/requests/${asked.request_id}`,
      input_required: { question: "Approve 1200 for laptop?" },
    });
    const waiting = await statusOf(asked.request_id);
    expect(waiting.body).toMatchObject({ status: "input_required", input_required: { schema: { required: ["approved"] } } });

    // Nothing is held in memory: the object goes away and the request is still there to answer.
    await evictDurableObject(agentObjectStub("approver"));
    const answered = await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: true, note: "within budget" } } });
    expect(answered.status).toBe(202);
    expect(answered.body.status).toBe("pending");
    const done = await settled(asked.request_id, "replied");
    expect(done.reply.content).toEqual({ status: "approved", item: "laptop", amount: 1200, by: "admin", note: "within budget" });
    expect(done.input).toEqual([
      expect.objectContaining({ question: "Approve 1200 for laptop?", answer: { approved: true, note: "within budget" }, answered_by: null }),
    ]);
  });

  it("refuses an answer that does not match the question's schema (400) and one to a request that is not waiting (409)", async () => {
    const asked = await ask();
    const bad = await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: "yes" } } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^content: .*approved/);
    expect((await statusOf(asked.request_id)).body.status).toBe("input_required");
    expect((await api("POST", `/requests/${asked.request_id}/input`, { body: {} })).status).toBe(400);

    await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: false } } });
    const done = await settled(asked.request_id, "replied");
    expect(done.reply.content.status).toBe("rejected");
    const again = await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: true } } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("conflict");
    expect((await api("POST", "/requests/req_nosuch_000000000000/input", { body: { content: 1 } })).status).toBe(404);
  });

  it("only the sender or admin may answer", async () => {
    const res = await api("POST", "/agents/approver/invoke", { as: "planner", body: { content: EXPENSE } });
    expect(res.status).toBe(202);
    const other = await api("POST", `/requests/${res.body.request_id}/input`, { as: "summarizer", body: { content: { approved: true } } });
    expect(other.status).toBe(403);
    const mine = await api("POST", `/requests/${res.body.request_id}/input`, { as: "planner", body: { content: { approved: true } } });
    expect(mine.status).toBe(202);
    expect((await settled(res.body.request_id, "replied")).reply.content.by).toBe("planner");
  });

  it("lists waiting requests oldest first: admin sees them all, an agent key the ones it sent", async () => {
    const list = (as?: "planner" | "summarizer") =>
      api("GET", "/agents/approver/requests?status=input_required&limit=100", as ? { as } : {}).then((r) =>
        r.body.requests.map((q: { request_id: string }) => q.request_id),
      );
    const byAdmin = await ask();
    const byPlanner = await api("POST", "/agents/approver/invoke", { as: "planner", body: { content: EXPENSE } });
    const all = await list();
    expect(all.indexOf(byAdmin.request_id)).toBeGreaterThan(-1);
    expect(all.indexOf(byPlanner.body.request_id)).toBeGreaterThan(all.indexOf(byAdmin.request_id));
    const planners = await list("planner");
    expect(planners).toContain(byPlanner.body.request_id);
    expect(planners).not.toContain(byAdmin.request_id);
    expect(await list("summarizer")).not.toContain(byPlanner.body.request_id);
    const [row] = (await api("GET", "/agents/approver/requests?status=input_required&limit=100")).body.requests.filter(
      (q: { request_id: string }) => q.request_id === byAdmin.request_id,
    );
    expect(row).toMatchObject({ status: "input_required", input_required: { question: "Approve 1200 for laptop?" } });
    // Answered, it is no longer listed.
    await api("POST", `/requests/${byAdmin.request_id}/input`, { body: { content: { approved: true } } });
    expect(await list()).not.toContain(byAdmin.request_id);
    expect((await api("GET", "/agents/approver/requests?status=pending")).status).toBe(400);
    expect((await api("GET", "/agents/nobody-at-all/requests?status=input_required")).status).toBe(404);
  });

  it("cancelling a waiting request ends it cancelled; answering it then is 409", async () => {
    const asked = await ask();
    const cancelled = await api("DELETE", `/requests/${asked.request_id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    expect((await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: true } } })).status).toBe(409);
  });

  it("an async message that asks shows input_required, and resumes through the queue", async () => {
    const sent = await api("POST", "/agents/approver/messages", { body: { content: EXPENSE } });
    expect(sent.status).toBe(202);
    const waiting = await settled(sent.body.request_id, "input_required");
    expect(waiting.input_required.question).toBe("Approve 1200 for laptop?");
    await api("POST", `/requests/${sent.body.request_id}/input`, { body: { content: { approved: true } } });
    expect((await settled(sent.body.request_id, "replied")).reply.content.status).toBe("approved");
  });

  it("a reply_to URL is sent the question as it would a reply, signed, with the request id to answer", async () => {
    const key = uniqueName("asked-receiver");
    const sent = await api("POST", "/agents/approver/messages", { body: { content: EXPENSE, reply_to: `${testServer()}/ok/${key}` } });
    expect(sent.status).toBe(202);
    const [delivery] = await eventually(
      async () => {
        const calls = await received(key);
        return calls.length ? calls : undefined;
      },
      10_000,
      "the question at the reply_to URL",
    );
    expect(delivery?.headers["webhook-signature"]).toMatch(/^v1,/);
    const question = JSON.parse(delivery?.body ?? "{}");
    expect(question.metadata).toMatchObject({ in_reply_to: sent.body.request_id, input_required: { question: "Approve 1200 for laptop?" } });
  });

  it("a remote HTTP agent asks with { input_required } and is sent every answer in metadata.input", async () => {
    const name = uniqueName("asker");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ask/${name}` } });
    const asked = await api("POST", `/agents/${name}/invoke`, { body: { content: "paint it" } });
    expect(asked.status).toBe(202);
    expect(asked.body.input_required).toEqual({ question: "which colour?", schema: { type: "string" } });
    expect((await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: 7 } })).status).toBe(400);
    await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: "teal" } });
    expect((await settled(asked.body.request_id, "replied")).reply.content).toEqual({ told: ["teal"] });
  });

  it("an unanswered question times out by the alarm: timed_out, and dead-lettered", async () => {
    const name = "approver";
    await api("PUT", `/agents/${name}`, { body: { limits: { input_timeout_ms: 1000 } } });
    try {
      const asked = await ask();
      const stub = agentObjectStub(name);
      // The alarm fires when the deadline is due; run it until it has (it may also fire on its own).
      await eventually(
        async () => {
          await runDurableObjectAlarm(stub);
          return (await statusOf(asked.request_id)).body.status === "timed_out" || undefined;
        },
        10_000,
        "the input deadline to pass",
      );
      const timedOut = (await statusOf(asked.request_id)).body;
      expect(timedOut.error).toEqual({ code: "timeout", detail: "no input within 1000 ms" });
      const letter = await eventually(
        async () =>
          (await api("GET", `/dlq?agent=${name}&limit=50`)).body.entries.find(
            (e: { message?: { metadata?: { request_id?: string } } }) => e.message?.metadata?.request_id === asked.request_id,
          ),
        10_000,
        "the dead letter",
      );
      expect(letter.error.code).toBe("timeout");
      // Dead-lettered through the request's own row, which holds the letter's id until the store has it.
      expect(await requestOutbox(name, asked.request_id)).toMatchObject({ letter_id: letter.id, letter_pending: false, lease_until: null, input_due_at: null });
      expect((await api("POST", `/requests/${asked.request_id}/input`, { body: { content: { approved: true } } })).status).toBe(409);

      // A replay runs the handler again, which asks again; the letter is settled by that attempt.
      expect((await api("POST", `/dlq/${letter.id}/replay`)).status).toBe(202);
      const again = await settled(asked.request_id, "input_required");
      expect(again.input_required.question).toBe("Approve 1200 for laptop?");
      await eventually(async () => ((await api("GET", `/dlq/${letter.id}`)).status === 404 ? true : undefined), 10_000, "the replayed letter to settle");
    } finally {
      await api("PUT", `/agents/${name}`, { body: {} });
    }
  });

  it("a waiting request holds no delivery lease; the answer leases it again, with its wait over", async () => {
    const name = uniqueName("lease-ask");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ask/${name}` } });
    const asked = await api("POST", `/agents/${name}/messages`, { body: { content: "paint it" } });
    await settled(asked.body.request_id, "input_required");
    const waiting = await requestOutbox(name, asked.body.request_id);
    // No sweep, however late, re-drives a request that waits for a person: nothing is owed to the queue.
    expect(waiting).toMatchObject({ status: "input_required", lease_until: null, swept_ever: false });
    expect(waiting.input_due_at).toBeGreaterThan(Date.now() + 3_600_000);

    // The resumed attempt is held by the remote agent, so the answered request can be looked at mid-flight.
    const held = `${name}-resumed`;
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/hold/${held}` } });
    const before = Date.now();
    expect((await api("POST", `/requests/${asked.body.request_id}/input`, { body: { content: "teal" } })).status).toBe(202);
    await arrived(held);
    const resumed = await requestOutbox(name, asked.body.request_id);
    expect(resumed).toMatchObject({ status: "pending", swept_ever: true, input_due_at: null });
    expect(resumed.lease_until).toBeGreaterThan(before);
    // The sweep is armed no later than the lease, so a lost queue message is enqueued again.
    expect(resumed.sweep_at).not.toBeNull();
    expect(resumed.sweep_at).toBeLessThanOrEqual(resumed.lease_until as number);

    expect((await api("DELETE", `/requests/${asked.body.request_id}`)).body.status).toBe("cancelled");
    expect((await aborted(held)).aborted).toBe(true);
    expect(await requestOutbox(name, asked.body.request_id)).toMatchObject({ lease_until: null, swept_ever: false });
  });

  it("limits.input_timeout_ms is bounded: at most 30 days", async () => {
    const res = await api("PUT", `/agents/${uniqueName("bounded")}`, {
      body: { kind: "http", url: `${testServer()}/ok/x`, limits: { input_timeout_ms: 31 * 86_400_000 } },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/input_timeout_ms/);
  });
});

/**
 * The stored request is the outbox: a pending request whose queue message never arrives is
 * enqueued again by its agent's alarm once its lease has expired, and delivered once. That is what
 * lets the 202 be answered once the row and its lease are durable, before the queue has the message.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newRequestId } from "../../lib/message/ids";
import { agentObjectStub, requestOutbox, seedStrandedRequest, storeRequestTheQueueRefuses } from "../support/agent-storage";
import { api, eventually, received, settled, testServer, uniqueName } from "../support/api";

describe("leases of pending requests", () => {
  it("enqueues again a stored request whose queue message was lost, and delivers it once", async () => {
    const name = uniqueName("lease");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } })).status).toBe(200);
    const requestId = newRequestId(name);
    // What a crash between storing and enqueuing leaves (or a restart that lost the local queue):
    // the row and its lease, and no queue message.
    await seedStrandedRequest(name, requestId, "not lost");
    expect((await api("GET", `/requests/${requestId}`)).body.status).toBe("pending");
    await eventually(async () => {
      await runDurableObjectAlarm(agentObjectStub(name));
      return (await received(name)).length > 0 ? true : undefined;
    });
    expect(await settled(requestId)).toMatchObject({ status: "replied", attempts: 1, reply: { content: { echoed: "not lost" } } });
    expect(await received(name)).toHaveLength(1);
  });

  it("answers 202 with the request's row, lease and lease sweep already stored, whatever becomes of its queue message", async () => {
    const name = uniqueName("lease-202");
    // A remote that holds each attempt, so the request is still pending when the test looks.
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/slow/2000/${name}` } })).status).toBe(200);
    const before = Date.now();
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "durable" } });
    expect(sent.status).toBe(202);
    const outbox = await requestOutbox(name, sent.body.request_id);
    expect(outbox).toMatchObject({ status: "pending", swept_ever: true });
    // The lease is the two minutes a pending request waits for its queue message, and a sweep is due by then.
    expect(outbox.lease_until).toBeGreaterThanOrEqual(before + 120_000);
    expect(outbox.sweep_at).not.toBeNull();
    expect(outbox.sweep_at as number).toBeLessThanOrEqual(outbox.lease_until as number);
    expect(await settled(sent.body.request_id)).toMatchObject({ status: "replied", attempts: 1 });
  });

  it("sends a request whose queue message the queue refused again at once through its lease, and delivers it once", async () => {
    const name = uniqueName("lease-refused");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } })).status).toBe(200);
    const requestId = newRequestId(name);
    await storeRequestTheQueueRefuses(name, requestId, "refused once");
    // The refusal ended the lease and made the sweep due now, rather than two minutes on.
    const now = Date.now();
    const outbox = await requestOutbox(name, requestId);
    expect(outbox.status).toBe("pending");
    expect(outbox.lease_until as number).toBeLessThanOrEqual(now);
    expect(outbox.sweep_at as number).toBeLessThanOrEqual(now);
    expect(await received(name)).toHaveLength(0);
    await eventually(async () => {
      await runDurableObjectAlarm(agentObjectStub(name));
      return (await received(name)).length > 0 ? true : undefined;
    });
    expect(await settled(requestId)).toMatchObject({ status: "replied", attempts: 1, reply: { content: { echoed: "refused once" } } });
    expect(await received(name)).toHaveLength(1);
  });

  it("keeps no lease on a finished request, so no sweep ever enqueues it again", async () => {
    const name = uniqueName("lease-dup");
    expect((await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } })).status).toBe(200);
    const sent = await api("POST", `/agents/${name}/messages`, { body: { content: "once" } });
    await settled(sent.body.request_id);
    // A sweep after the request was answered finds nothing to enqueue: the finished row holds no lease.
    expect(await requestOutbox(name, sent.body.request_id)).toMatchObject({ status: "replied", lease_until: null, swept_ever: false });
    expect(await received(name)).toHaveLength(1);
  });
});

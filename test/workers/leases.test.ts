/**
 * The stored request is the outbox: a pending request whose queue message never arrives is
 * enqueued again by its agent's alarm once its lease has expired, and delivered once.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newRequestId } from "../../lib/message/ids";
import { agentObjectStub, requestOutbox, seedStrandedRequest } from "../support/agent-storage";
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

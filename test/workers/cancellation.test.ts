import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { aborted, api, arrived, holdingAgent, inboundRow, settled, testServer, uniqueName } from "../support/api";
import { auth } from "../support/keys";

describe("cancellation", () => {
  it("DELETE /requests/:id aborts the handler and its tool call, through two hops to the remote agent", async () => {
    const remote = await holdingAgent();
    const model = uniqueName("delegator");
    const put = await api("PUT", `/agents/${model}`, { body: { kind: "model", model: { provider: "local", model: "local-router" }, tools: [remote.name] } });
    expect(put.status).toBe(200);

    const sent = await api("POST", `/agents/${model}/messages`, { body: { content: `please hold this, ${remote.name}` } });
    expect(sent.status).toBe(202);
    const id = sent.body.request_id as string;
    await arrived(remote.key);

    const cancelled = await api("DELETE", `/requests/${id}`);
    expect(cancelled.status).toBe(200);
    // The attempt that was running counts, in this answer and in every read after it.
    expect(cancelled.body).toMatchObject({ request_id: id, status: "cancelled", attempts: 1, error: { code: "cancelled" } });
    // The remote agent's own HTTP request was aborted: the cancel reached the end of the call tree.
    expect((await aborted(remote.key)).aborted).toBe(true);

    // Cancelled everywhere: the request, the model agent's call, the tool call to the remote agent.
    expect((await inboundRow(model, "cancelled")).pattern).toBe("async");
    expect((await inboundRow(remote.name, "cancelled")).pattern).toBe("tool");
    const after = await settled(id, ["cancelled"]);
    expect(after.attempts).toBe(1);
    // Not retried, not dead-lettered, not a breaker failure.
    expect((await api("GET", `/dlq?agent=${model}`)).body.entries).toEqual([]);
    expect((await api("GET", `/agents/${remote.name}/breaker`)).body).toMatchObject({ state: "closed", failures: 0 });
    const again = await api("DELETE", `/requests/${id}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("cancelled");
  });

  it("a client that disconnects from a sync invoke cancels it, down a chain to the remote agent", async () => {
    const remote = await holdingAgent({ handles: ["hold"] });
    const head = uniqueName("chain-head");
    expect(
      (await api("PUT", `/agents/${head}`, { body: { kind: "http", url: `${testServer()}/ok/${head}`, handles: ["other"], next: remote.name } })).status,
    ).toBe(200);

    const client = new AbortController();
    const pending = exports.default
      .fetch(
        new Request(`http://switchboard.test/agents/${head}/invoke`, {
          method: "POST",
          headers: auth("admin"),
          body: JSON.stringify({ content: "wait for me", metadata: { type: "hold" } }),
          signal: client.signal,
        }),
      )
      .catch((error: unknown) => error);
    await arrived(remote.key);
    client.abort();
    await pending;

    expect((await aborted(remote.key)).aborted).toBe(true);
    expect((await inboundRow(head, "cancelled")).detail).toContain(remote.name);
    expect((await inboundRow(remote.name, "cancelled")).pattern).toBe("chain");
    expect((await api("GET", `/agents/${remote.name}/breaker`)).body.failures).toBe(0);
  });

  it("answers 404 for an unknown request, 403 to another agent, 409 once a request has ended", async () => {
    expect((await api("DELETE", "/requests/req_echo_0000000000000000000000")).status).toBe(404);
    expect((await api("DELETE", "/requests/not-a-request")).status).toBe(404);

    const sent = await api("POST", "/agents/echo/messages", { body: { content: "done soon" }, as: "planner" });
    const id = sent.body.request_id as string;
    expect((await api("DELETE", `/requests/${id}`, { as: "outsider" })).status).toBe(403);
    await settled(id, ["replied"]);
    const late = await api("DELETE", `/requests/${id}`, { as: "planner" });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "conflict" });
    expect(late.body.detail).toContain("replied");
    expect((await api("GET", `/requests/${id}`)).body.status).toBe("replied");
  });
});

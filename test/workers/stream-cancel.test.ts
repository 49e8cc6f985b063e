import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestStreamId } from "../../lib/streams/stream-id";
import { aborted, api, arrived, eventually, holdingAgent, inboundRow, invokeStream, release, settled } from "../support/api";
import { auth, type KEYS } from "../support/keys";
import { EventReader } from "../support/sse";

/** DELETE /streams/:id as `who`. */
function cancelStream(streamId: string, who: keyof typeof KEYS = "admin") {
  return api("DELETE", `/streams/${streamId}`, { as: who });
}

/** The inbound row of `agent` that a cancel of `streamId` ended. */
function cancelledBy(agent: string, streamId: string): Promise<{ outcome: string; detail: string; pattern: string }> {
  return eventually(
    async () =>
      (await api("GET", `/agents/${agent}/log`)).body.entries.find(
        (r: { direction: string; detail?: string }) => r.direction === "in" && r.detail?.includes(`DELETE /streams/${streamId}`),
      ),
    20_000,
    `${agent}'s row cancelled by DELETE /streams/${streamId}`,
  );
}

describe("DELETE /streams/:id", () => {
  it("cancels a streaming invoke at once, while its client still reads, down to the remote agent", async () => {
    const remote = await holdingAgent();
    const reader = new EventReader(await invokeStream("narrator", { content: { text: "stop me", agent: remote.name } }));
    const start = await reader.until((e) => e.event === "start");
    const streamId = start.data.stream_id as string;
    await arrived(remote.key);

    const cancelled = await cancelStream(streamId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ stream_id: streamId, status: "cancelled" });
    // The reader that stayed sees the end, without waiting for any grace period.
    expect(await reader.until((e) => e.event === "error" || e.event === "reply")).toMatchObject({ event: "error", data: { code: "cancelled", status: 499 } });
    // Every hop stopped: the remote agent's own request was aborted, both logs say cancelled.
    expect((await aborted(remote.key)).aborted).toBe(true);
    expect((await cancelledBy("narrator", streamId)).outcome).toBe("cancelled");
    expect((await inboundRow(remote.name, "cancelled")).pattern).toBe("ctx.invokeStream");
    expect((await api("GET", `/agents/${remote.name}/breaker`)).body).toMatchObject({ state: "closed", failures: 0 });
    // Again is a no-op.
    const again = await cancelStream(streamId);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("cancelled");
  });

  it("lets only the stream's owner, admin and the agent cancel it; 404 for streams it does not know; 409 once it replied", async () => {
    const remote = await holdingAgent();
    const reader = new EventReader(await invokeStream("narrator", { content: { text: "mine", agent: remote.name } }, "planner"));
    const streamId = (await reader.until((e) => e.event === "start")).data.stream_id as string;
    await arrived(remote.key);
    const refused = await cancelStream(streamId, "outsider");
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("forbidden");
    // A refusal changed nothing: the call goes on and replies once the remote agent answers.
    await release(remote.key);
    const last = await reader.until((e) => e.event === "error" || e.event === "reply");
    expect(last.event).toBe("reply");

    const late = await cancelStream(streamId, "planner");
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "conflict" });
    expect(late.body.detail).toContain("replied");
    expect((await cancelStream("str_narrator_0_000000000000000000000")).status).toBe(404);
    expect((await cancelStream("not-a-stream")).status).toBe(404);

    // The owner may cancel its own stream.
    const held = await holdingAgent();
    const own = new EventReader(await invokeStream("narrator", { content: { text: "mine too", agent: held.name } }, "planner"));
    const ownId = (await own.until((e) => e.event === "start")).data.stream_id as string;
    await arrived(held.key);
    expect((await cancelStream(ownId, "planner")).status).toBe(200);
    expect((await own.until((e) => e.event === "error")).data.code).toBe("cancelled");
    expect((await aborted(held.key)).aborted).toBe(true);
  });

  it("cancels an async request with its stream, though its first attempt never stored one", async () => {
    const remote = await holdingAgent();
    const sent = await api("POST", `/agents/${remote.name}/messages`, { body: { content: "hold on" }, as: "planner" });
    expect(sent.status).toBe(202);
    const requestId = sent.body.request_id as string;
    const streamId = requestStreamId(requestId) as string;
    await arrived(remote.key);

    expect((await cancelStream(streamId, "outsider")).status).toBe(403);
    const cancelled = await cancelStream(streamId, "planner");
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ stream_id: streamId, status: "cancelled", request_id: requestId });
    expect((await aborted(remote.key)).aborted).toBe(true);
    const request = await settled(requestId, ["cancelled"]);
    expect(request).toMatchObject({ status: "cancelled", error: { code: "cancelled" } });
    // Its stream, read now, ends the same way.
    const events = await new EventReader(
      await exports.default.fetch(new Request(`http://switchboard.test/streams/${streamId}`, { headers: auth("planner") })),
    ).all();
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "cancelled" } });
    expect((await cancelStream(streamId, "planner")).status).toBe(200);
  });
});

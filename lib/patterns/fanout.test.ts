import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { failure } from "../message/errors";
import { sendBatched } from "../protocols/send-batched";
import { afterDelivery, type FanoutMessage, isFanoutMessage, planFanout } from "./fanout";
import type { Observer } from "./observer";

const policy = { max_retries: 3, retry_delay_ms: 1000, max_retry_delay_ms: 60_000, timeout_ms: 5000 };
const observers = (n: number): Observer[] => Array.from({ length: n }, (_, i) => ({ id: `obs_${i}`, url: `https://hook.example/${i}`, created_at: "" }));

/**
 * A real queue binding (one with no consumer, see vitest.config.ts) with every sendBatch it is
 * given written down, as test/support/recording-limiter.ts does for the rate limiter: the batches
 * really are sent. The local queue does not enforce the deployed limits (100 messages, 256 KB per
 * sendBatch), so the tests below assert the splits on what was sent.
 */
function recordingQueue() {
  const real = (env as unknown as { TEST_SINK_QUEUE: Queue }).TEST_SINK_QUEUE;
  const batches: MessageSendRequest[][] = [];
  const queue = {
    metrics: () => real.metrics(),
    send: (body: unknown, options?: QueueSendOptions) => real.send(body, options),
    sendBatch: (batch: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
      const sent = [...batch];
      batches.push(sent);
      return real.sendBatch(sent, options);
    },
  } as Queue;
  return { batches, queue };
}

describe("planFanout", () => {
  it("makes one event message per observer, sharing an event id, each with its own envelope id", () => {
    const { event_id, messages } = planFanout({ observed: "orders", event: "order.created", data: { id: 1 }, observers: observers(3), policy });
    expect(messages).toHaveLength(3);
    expect(new Set(messages.map((m) => m.envelope.id)).size).toBe(3);
    for (const [i, m] of messages.entries()) {
      expect(isFanoutMessage(m)).toBe(true);
      expect(m).toMatchObject({ event_id, observed: "orders", observer_id: `obs_${i}`, url: `https://hook.example/${i}`, path: [] });
      expect(m.envelope).toMatchObject({
        from: "orders",
        role: "event",
        content: { event: "order.created", data: { id: 1 } },
        metadata: { event: "order.created", event_id },
      });
    }
  });
});

describe("sendBatched", () => {
  it("sends at most 100 messages per sendBatch call", async () => {
    const { batches, queue } = recordingQueue();
    await sendBatched(queue, planFanout({ observed: "a", event: "e", data: null, observers: observers(250), policy }).messages);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it("also splits by size so a batch stays under 256 KB", async () => {
    const { batches, queue } = recordingQueue();
    const data = "x".repeat(60 * 1024);
    await sendBatched(queue, planFanout({ observed: "a", event: "e", data, observers: observers(10), policy }).messages);
    expect(batches.length).toBeGreaterThan(2);
    for (const batch of batches) expect(JSON.stringify(batch).length).toBeLessThan(256 * 1024);
    expect(batches.flat()).toHaveLength(10);
  });

  it("sends nothing without observers", async () => {
    const { batches, queue } = recordingQueue();
    await sendBatched(queue, [] as FanoutMessage[]);
    expect(batches).toEqual([]);
  });
});

describe("afterDelivery", () => {
  const transient = failure("agent_error", "503", { transient: true });
  it("acks a delivery that worked", () => {
    expect(afterDelivery(null, 1, policy)).toEqual({ action: "ack" });
  });

  it("retries transient failures with exponential backoff until max_retries, then dead-letters", () => {
    const half = () => 0.5;
    expect(afterDelivery(transient, 1, policy, half)).toEqual({ action: "retry", delay_seconds: 1 });
    expect(afterDelivery(transient, 2, policy, half)).toEqual({ action: "retry", delay_seconds: 2 });
    expect(afterDelivery(transient, 3, policy, half)).toEqual({ action: "retry", delay_seconds: 3 });
    expect(afterDelivery(transient, 4, policy, half)).toEqual({ action: "dead_letter" });
  });

  it("dead-letters permanent failures at once", () => {
    expect(afterDelivery(failure("forbidden", "acl"), 1, policy)).toEqual({ action: "dead_letter" });
    expect(afterDelivery(failure("agent_error", "404", { transient: false }), 1, policy)).toEqual({ action: "dead_letter" });
  });
});

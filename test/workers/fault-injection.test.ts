/**
 * Fault injection: 1000 async messages to a remote agent that fails 30% of attempts transiently
 * and 5% of requests permanently. Every message must end delivered or dead-lettered — none lost,
 * none handled twice — through the real Queue, consumer, Durable Objects and dead-letter store.
 */
import { describe, expect, it } from "vitest";
import { api, eventually, testServer, uniqueName } from "../support/api";

const MESSAGES = 1000;

describe("fault injection", () => {
  it("1000 messages, 30% transient and 5% permanent failures: sent = delivered + dead-lettered, none lost or twice", { timeout: 180_000 }, async () => {
    const name = uniqueName("chaos");
    const seed = 7;
    const put = await api("PUT", `/agents/${name}`, {
      body: {
        kind: "http",
        url: `${testServer()}/chaos/${seed}/${name}`,
        limits: { max_retries: 3, retry_delay_ms: 0, max_concurrency: 50 },
        breaker: { failure_threshold: 1000 },
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const ids: string[] = [];
    for (let start = 0; start < MESSAGES; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, MESSAGES - start) }, (_, i) =>
          api("POST", `/agents/${name}/messages`, { body: { content: { n: start + i }, idempotency_key: `chaos-${start + i}` } }),
        ),
      );
      for (const res of batch) {
        expect(res.status).toBe(202);
        ids.push(res.body.request_id);
      }
    }
    // A client retrying its POSTs with the same keys creates nothing new.
    const again = await api("POST", `/agents/${name}/messages`, { body: { content: { n: 0 }, idempotency_key: "chaos-0" } });
    expect(again.body.request_id).toBe(ids[0]);
    expect(new Set(ids).size).toBe(MESSAGES);

    // Poll only what is still pending, every half second, so polling does not starve the consumer.
    const settledStates = new Map<string, any>();
    await eventually(
      async () => {
        const open = ids.filter((id) => !settledStates.has(id));
        for (let i = 0; i < open.length; i += 100) {
          const states = await Promise.all(open.slice(i, i + 100).map(async (id) => (await api("GET", `/requests/${id}`)).body));
          for (const s of states) if (s.status !== "pending") settledStates.set(s.request_id, s);
        }
        return settledStates.size === MESSAGES ? true : undefined;
      },
      150_000,
      "every request to settle",
      500,
    );
    const finals = ids.map((id) => settledStates.get(id));
    const delivered = finals.filter((s) => s.status === "replied");
    const deadLettered = finals.filter((s) => s.status === "dead_lettered" || s.status === "failed");
    const dlqEntries = await eventually(async () => {
      const entries: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { entries: unknown[]; cursor: string | null } } = await api(
          "GET",
          `/dlq?agent=${name}&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
        );
        entries.push(...page.body.entries);
        cursor = page.body.cursor;
      } while (cursor);
      return entries.length === deadLettered.length ? entries : undefined;
    });
    const server = (await (await fetch(`${testServer()}/_stats/${name}`)).json()) as { handled: Record<string, number> };
    const handledTwice = Object.values(server.handled).filter((n) => n > 1).length;
    const retried = finals.filter((s) => s.attempts > 1).length;

    console.log(
      `fault injection: sent=${MESSAGES} delivered=${delivered.length} dead_lettered=${deadLettered.length} ` +
        `(permanent=${finals.filter((s) => s.status === "failed").length}, retries exhausted=${finals.filter((s) => s.status === "dead_lettered").length}) ` +
        `retried=${retried} lost=${MESSAGES - delivered.length - deadLettered.length} handled_twice=${handledTwice}`,
    );
    expect(delivered.length + deadLettered.length).toBe(MESSAGES);
    expect(dlqEntries).toHaveLength(deadLettered.length);
    expect(Object.keys(server.handled).length).toBe(delivered.length);
    expect(handledTwice).toBe(0);
    // The failure mix really happened: some permanent, some retried to success, some exhausted.
    expect(finals.filter((s) => s.status === "failed").length).toBeGreaterThan(20);
    expect(delivered.filter((s) => s.attempts > 1).length).toBeGreaterThan(100);
    expect(finals.filter((s) => s.status === "dead_lettered").length).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from "vitest";
import { makeEnvelope } from "../message/call";
import { failure } from "../message/errors";
import { askOutput } from "../message/input-required";
import { DEFAULT_LIMITS } from "../registry/entry";
import { afterAttempt } from "./async-delivery";
import type { RequestRow } from "./request-store";

const NOW = 1_800_000_000_000;
const LEASE = 120_000;
const message = makeEnvelope({ from: null, to: "echo", role: "agent_call", content: "hi", now: NOW });

function pending(): RequestRow {
  return {
    request_id: "req_echo_1",
    status: "pending",
    attempts: 0,
    budget_from: 0,
    message,
    reply: null,
    error: null,
    reply_to: null,
    reply_shard: 0,
    timeout_ms: null,
    created_at: NOW,
    updated_at: NOW,
    first_failed_at: null,
    last_failed_at: null,
    replay_of: null,
    letter_id: null,
    letter_pending: false,
    lease_until: NOW,
    question: null,
    input: [],
  };
}

function reply(output: { content: unknown; metadata?: Record<string, unknown> }) {
  return { ok: true as const, reply: makeEnvelope({ from: "echo", to: "caller", role: "reply", content: output.content, metadata: output.metadata ?? {} }) };
}

describe("afterAttempt: the lease of a request follows what it still owes the queue", () => {
  it("an attempt that ends the request, or leaves it waiting for input, clears its lease", () => {
    const outcomes = {
      replied: afterAttempt(pending(), reply({ content: "ok" }), DEFAULT_LIMITS, NOW, LEASE),
      input_required: afterAttempt(pending(), reply(askOutput({ question: "which?" })), DEFAULT_LIMITS, NOW, LEASE),
      cancelled: afterAttempt(pending(), failure("cancelled", "stopped by a caller"), DEFAULT_LIMITS, NOW, LEASE),
      failed: afterAttempt(pending(), failure("agent_error", "bad", { transient: false }), DEFAULT_LIMITS, NOW, LEASE),
    };
    for (const [status, outcome] of Object.entries(outcomes)) {
      expect(outcome.patch, status).toMatchObject({ status, lease_until: null });
    }
  });

  it("a retry keeps the request leased past its backoff", () => {
    const outcome = afterAttempt(pending(), failure("timeout", "slow"), DEFAULT_LIMITS, NOW, LEASE, () => 0.5);
    expect(outcome.action.action).toBe("retry");
    const delay = outcome.action.action === "retry" ? outcome.action.delay_seconds * 1000 : NaN;
    expect(outcome.patch).toMatchObject({ status: "pending", lease_until: NOW + delay + LEASE });
  });
});

/**
 * Consumer of `switchboard-deliveries`: async requests, replies to agents, and replies POSTed to
 * URLs. Messages in a batch run concurrently and each is acked, retried with backoff, or
 * dead-lettered on its own. A thrown error (e.g. a Durable Object briefly unreachable) is retried;
 * if the consumer keeps failing on a message, the queue's own dead_letter_queue catches it.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { Envelope } from "../../lib/message/envelope";
import { type DeliveryAction, type DeliveryMessage, delivered, isDeliveryMessage } from "../../lib/protocols/delivery";
import { postSigned, remoteFailure } from "../../lib/protocols/remote-http";
import { DEFAULT_LIMITS } from "../../lib/registry/entry";
import { backoffSeconds, retryDecision } from "../../lib/resilience/retry";
import { toFailure } from "../../lib/message/errors";
import { deadLetter, settleReplay } from "./dead-lettering";

export async function deliveriesConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((message) => handleOne(message, env)));
}

async function handleOne(message: Message<unknown>, env: Env): Promise<void> {
  const body = message.body;
  if (!isDeliveryMessage(body)) {
    const now = new Date().toISOString();
    await deadLetter(
      env,
      "deliveries",
      {},
      {
        agent: "unknown",
        error: { code: "invalid_request", detail: "unrecognised delivery message" },
        attempts: message.attempts,
        first_failed_at: now,
        last_failed_at: now,
        message: body as never,
      },
    );
    message.ack();
    return;
  }
  try {
    const action = await act(body, env, message.attempts);
    switch (action.action) {
      case "ack":
        await settleReplay(env, action.settles);
        message.ack();
        return;
      case "retry":
        message.retry({ delaySeconds: action.delay_seconds });
        return;
      case "dead_letter":
        await deadLetter(env, "deliveries", body, action.letter);
        message.ack();
        return;
      case "dead_lettered":
        // The agent's object holds the letter and stores it; a replay is settled when it fails again.
        message.ack();
        return;
    }
  } catch (error) {
    console.error(JSON.stringify({ level: "error", msg: "delivery failed", kind: body.kind, agent: body.agent, error: String(error) }));
    // The consumer itself failed (an object briefly unreachable): always retried with the default
    // backoff; the queue's own max_retries and dead_letter_queue bound it.
    message.retry({ delaySeconds: backoffSeconds(message.attempts, DEFAULT_LIMITS) });
  }
}

async function act(body: DeliveryMessage, env: Env, attempts: number): Promise<DeliveryAction> {
  switch (body.kind) {
    case "deliver":
      return agentRef(env, body.agent).forRequest(body.request_id).deliver(body.request_id);
    case "reply": {
      const envelope = await replyEnvelope(body, env);
      if (!envelope) return missingReply(body, attempts);
      await agentRef(env, body.agent)
        .queueOn(body.shard ?? 0)
        .receiveReply({ ...envelope, to: body.agent });
      return delivered(body.replay_of);
    }
    case "post": {
      const envelope = await replyEnvelope(body, env);
      if (!envelope) return missingReply(body, attempts);
      return postReply(body, envelope, env, attempts);
    }
  }
}

/** The reply a `reply`/`post` message carries inline, or the stored one it refers to. */
async function replyEnvelope(body: Extract<DeliveryMessage, { kind: "reply" | "post" }>, env: Env): Promise<Envelope | null> {
  if (body.envelope) return body.envelope;
  if (!body.source) return null;
  return agentRef(env, body.source.agent).forRequest(body.source.request_id).replyOf(body.source.request_id);
}

/** The stored reply is gone (its request outlived retention): keep the delivery where a person can see it. */
function missingReply(body: Extract<DeliveryMessage, { kind: "reply" | "post" }>, attempts: number): DeliveryAction {
  const now = new Date().toISOString();
  return {
    action: "dead_letter",
    letter: {
      agent: body.agent,
      error: { code: "request_not_found", detail: `the reply of ${body.source?.request_id ?? "?"} is no longer stored` },
      attempts,
      first_failed_at: now,
      last_failed_at: now,
    },
  };
}

/** A reply to a `reply_to` URL: signed POST, retried like any delivery, dead-lettered when exhausted. */
async function postReply(body: Extract<DeliveryMessage, { kind: "post" }>, envelope: Envelope, env: Env, attempts: number): Promise<DeliveryAction> {
  const limits = DEFAULT_LIMITS;
  let failure: ReturnType<typeof toFailure>;
  try {
    const response = await postSigned(body.url, envelope, envelope.id, envelope.trace.traceparent, {
      signal: AbortSignal.timeout(limits.timeout_ms),
      dev: env.SWITCHBOARD_DEV === "1",
      secret: env.SWITCHBOARD_SIGNING_SECRET,
    });
    if (response.ok) {
      await response.body?.cancel();
      return delivered(body.replay_of);
    }
    failure = toFailure(await remoteFailure(response, `reply_to ${new URL(body.url).host}`));
  } catch (error) {
    failure = toFailure(error);
  }
  const decision = retryDecision(failure, attempts, limits);
  if (decision.retry) return { action: "retry", delay_seconds: decision.delay_seconds };
  const now = new Date().toISOString();
  return {
    action: "dead_letter",
    letter: {
      agent: body.agent,
      message: envelope,
      error: { code: failure.code, detail: failure.detail },
      attempts,
      first_failed_at: now,
      last_failed_at: now,
    },
  };
}

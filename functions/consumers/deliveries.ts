/**
 * Consumer of `switchboard-deliveries`: async requests, replies to agents, and replies POSTed to
 * URLs. Messages in a batch run concurrently and each is acked, retried with backoff, or
 * dead-lettered on its own. A batch's `deliver` messages for one agent object go to it in one call
 * (`deliverAll`), which answers each on its own. A thrown error (e.g. a Durable Object briefly
 * unreachable) is retried; if the consumer keeps failing on a message, the queue's own
 * dead_letter_queue catches it.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { Envelope } from "../../lib/message/envelope";
import { requestAddress } from "../../lib/message/ids";
import { type BatchedDelivery, type DeliveryAction, type DeliveryMessage, delivered, isDeliveryMessage } from "../../lib/protocols/delivery";
import { postSigned, remoteFailure } from "../../lib/protocols/remote-http";
import { DEFAULT_LIMITS } from "../../lib/registry/entry";
import { shardObjectName } from "../../lib/registry/shards";
import { backoffSeconds, retryDecision } from "../../lib/resilience/retry";
import { toFailure } from "../../lib/message/errors";
import { deadLetter, settleReplay } from "./dead-lettering";

type Deliver = Extract<DeliveryMessage, { kind: "deliver" }>;

export async function deliveriesConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const objects = new Map<string, Array<{ message: Message<unknown>; body: Deliver }>>();
  const others: Array<Message<unknown>> = [];
  for (const message of batch.messages) {
    const body = message.body;
    if (!isDeliveryMessage(body) || body.kind !== "deliver") {
      others.push(message);
      continue;
    }
    // The object holding the request, named as `forRequest` names it: its agent and the shard its id names.
    const object = shardObjectName(body.agent, requestAddress(body.request_id)?.shard ?? 0);
    const group = objects.get(object);
    if (group) group.push({ message, body });
    else objects.set(object, [{ message, body }]);
  }
  await Promise.all([...others.map((message) => handleOne(message, env)), ...[...objects.values()].map((group) => deliverGroup(group, env))]);
}

/** One call for a batch's requests of one object; each message then settles by its own answer. */
async function deliverGroup(group: Array<{ message: Message<unknown>; body: Deliver }>, env: Env): Promise<void> {
  const [first] = group;
  if (!first) return;
  let answers: BatchedDelivery[];
  try {
    answers = await agentRef(env, first.body.agent)
      .forRequest(first.body.request_id)
      .deliverAll(group.map(({ body }) => body.request_id));
  } catch (error) {
    for (const { message, body } of group) failed(message, body, error);
    return;
  }
  await Promise.all(
    group.map(async ({ message, body }, i) => {
      const answer = answers[i];
      if (!answer) failed(message, body, "no answer for this request");
      else if (!answer.ok) failed(message, body, answer.error);
      else await settle(message, body, answer.action, env);
    }),
  );
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
  if (body.kind === "deliver") return deliverGroup([{ message, body }], env);
  let action: DeliveryAction;
  try {
    action = await act(body, env, message.attempts);
  } catch (error) {
    failed(message, body, error);
    return;
  }
  await settle(message, body, action, env);
}

/** Acks, retries or dead-letters `message` as its delivery decided; a failure to dead-letter is the consumer's own. */
async function settle(message: Message<unknown>, body: DeliveryMessage, action: DeliveryAction, env: Env): Promise<void> {
  try {
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
    failed(message, body, error);
  }
}

/**
 * The consumer itself failed on `message` (an object briefly unreachable): always retried with the
 * default backoff; the queue's own max_retries and dead_letter_queue bound it.
 */
function failed(message: Message<unknown>, body: DeliveryMessage, error: unknown): void {
  console.error(JSON.stringify({ level: "error", msg: "delivery failed", kind: body.kind, agent: body.agent, error: String(error) }));
  message.retry({ delaySeconds: backoffSeconds(message.attempts, DEFAULT_LIMITS) });
}

/** A `reply` or `post` message (a `deliver` goes with its object's others, `deliverGroup`). */
async function act(body: Exclude<DeliveryMessage, Deliver>, env: Env, attempts: number): Promise<DeliveryAction> {
  switch (body.kind) {
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

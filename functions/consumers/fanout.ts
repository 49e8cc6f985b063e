/**
 * Consumer of `switchboard-fanout`: one message is one event for one observer. Every message in a
 * batch is delivered concurrently and settled on its own (ack, retry with backoff, or dead letter),
 * so a slow or failing observer never holds up the others.
 *
 * Agent observers get the `event` message through their own pipeline (ACL with the observed agent
 * as `from`, breaker, cap, deadline, log; a code agent's `onEvent`, else its `handle`). URL
 * observers get it as a Standard Webhooks-signed POST; `webhook-id` is the envelope id, the same on
 * every retry, so receivers can drop duplicates.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import { type Failure, toFailure } from "../../lib/message/errors";
import { afterDelivery, type FanoutMessage, isFanoutMessage } from "../../lib/patterns/fanout";
import { postSigned, remoteFailure } from "../../lib/protocols/remote-http";
import { withDeadline } from "../../lib/resilience/deadline-policy";
import { deadLetter, settleReplay } from "./dead-lettering";

export async function fanoutConsumer(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(batch.messages.map((message) => settle(message, env)));
}

async function settle(message: Message<unknown>, env: Env): Promise<void> {
  const body = message.body;
  if (!isFanoutMessage(body)) {
    console.error(JSON.stringify({ level: "error", msg: "malformed fan-out message dropped", id: message.id }));
    message.ack();
    return;
  }
  let failed: Failure | null;
  try {
    failed = await deliver(body, env);
  } catch (error) {
    failed = toFailure(error);
  }
  const decision = afterDelivery(failed, message.attempts, body.policy);
  if (decision.action === "ack") {
    message.ack();
    // A replayed dead letter that got through leaves the dead-letter store.
    return settleReplay(env, body.replay_of).catch((error) =>
      console.warn(JSON.stringify({ level: "warn", msg: "settling a replay failed", error: String(error) })),
    );
  }
  if (decision.action === "retry") return message.retry({ delaySeconds: decision.delay_seconds });

  const error = { code: failed?.code ?? "agent_error", detail: failed?.detail ?? "delivery failed" };
  try {
    await deadLetter(env, "fanout", body, {
      agent: body.observer ?? body.observed,
      error,
      attempts: message.attempts,
      first_failed_at: new Date(message.timestamp).toISOString(),
      last_failed_at: new Date().toISOString(),
    });
  } catch (sendError) {
    // Never ack what we could not park: let the queue deliver it again.
    console.error(JSON.stringify({ level: "error", msg: "dead letter send failed", id: message.id, error: String(sendError) }));
    return message.retry({ delaySeconds: 5 });
  }
  message.ack();
  try {
    await agentRef(env, body.observed).queue.fanoutDeadLettered(body, error, message.attempts);
  } catch (logError) {
    console.warn(JSON.stringify({ level: "warn", msg: "could not log a fan-out dead letter", id: message.id, error: String(logError) }));
  }
}

/** One delivery attempt; null when the observer took the event. */
async function deliver(body: FanoutMessage, env: Env): Promise<Failure | null> {
  const deadline = Date.now() + body.policy.timeout_ms;
  if (body.observer !== undefined) {
    const result = await agentRef(env, body.observer).invoke({
      message: body.envelope,
      deadline,
      path: [...body.path, body.observed],
      pattern: "fanout",
    });
    return result.ok ? null : result;
  }
  const url = body.url as string;
  return withDeadline(body.policy.timeout_ms, `observer ${new URL(url).host}`, async (signal) => {
    const response = await postSigned(url, body.envelope, body.envelope.id, body.envelope.trace.traceparent, {
      signal,
      dev: env.SWITCHBOARD_DEV === "1",
      secret: env.SWITCHBOARD_SIGNING_SECRET,
    });
    if (response.ok) {
      await response.body?.cancel();
      return null;
    }
    return (await remoteFailure(response, `observer ${url}`)).toFailure();
  });
}

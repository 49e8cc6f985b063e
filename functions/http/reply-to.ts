/**
 * A `reply_to` is checked where it enters (an async message, a schedule): an agent that exists and
 * the sender may message, or a URL the SSRF guard allows. Nothing is stored otherwise.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import { SwitchboardError } from "../../lib/message/errors";
import { isAgentName } from "../../lib/message/limits";
import { mayCall } from "../../lib/security/acl";
import { checkOutboundUrl } from "../../lib/security/ssrf";

export async function checkReplyTo(env: Env, replyTo: string, from: string | null): Promise<void> {
  if (isAgentName(replyTo)) {
    const described = await agentRef(env, replyTo).client.describe();
    if (!described) throw new SwitchboardError("invalid_request", `reply_to: no agent named ${replyTo}`);
    // The reply lands in that agent's log and onReply: only a sender that may message it may send it one.
    if (!mayCall(from, described.entry)) throw new SwitchboardError("forbidden", `reply_to: agent ${from} may not send messages to ${replyTo}`);
    return;
  }
  const check = checkOutboundUrl(replyTo, { dev: env.SWITCHBOARD_DEV === "1" });
  if (!check.ok) throw new SwitchboardError("invalid_request", `reply_to: ${check.reason}`);
}

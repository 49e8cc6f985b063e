/**
 * This agent's own requests (ctx.request): submit to the target with reply_to = this agent, keep
 * the pending reply durably with a `request` deadline, and resolve it when the reply arrives through
 * `receiveReply` — or time it out, by timer while the caller waits and by alarm after eviction.
 */
import type { Submission } from "../../lib/agents/agent-api";
import { agentRef } from "../../lib/agents/agent-ref";
import { type Call, deadlineAfter } from "../../lib/message/call";
import type { AgentDefinition } from "../../lib/agents/define-agent";
import type { Envelope } from "../../lib/message/envelope";
import { type Result, failure } from "../../lib/message/errors";
import type { PendingReplies, ReplyDisposition } from "../../lib/protocols/pending-replies";
import type { AgentEntry } from "../../lib/registry/entry";
import type { DeadlineTable } from "../../lib/resilience/deadline-table";
import { type Outbound, replyContext } from "./handler-context";
import type { Observability } from "./observability";

export interface RequestReplyDeps {
  env: Env;
  /** Which of this agent's shards this object is: the reply must come back here, where the wait is. */
  shard: number;
  /** This agent's code definition, for `onReply` (absent for configured agents). */
  definition: AgentDefinition | undefined;
  pending: PendingReplies;
  deadlines: DeadlineTable;
  observability: Observability;
  outbound: Outbound;
}

export class RequestReply {
  constructor(private readonly deps: RequestReplyDeps) {
    deps.deadlines.handle("request", (requestId) => this.expire(requestId));
  }

  /** ctx.request: submit to `to` with reply_to = us, record the pending reply, wait until the deadline. */
  async request(to: string, submission: Submission, deadline: number): Promise<Result<{ reply: Envelope }>> {
    const { pending, deadlines, observability } = this.deps;
    const submitted = await agentRef(this.deps.env, to).submit(this.deps.shard > 0 ? { ...submission, reply_shard: this.deps.shard } : submission);
    if (!submitted.ok) return submitted;
    const requestId = submitted.request_id;
    pending.add(requestId, to, deadline, Date.now());
    await deadlines.schedule("request", requestId, deadline);
    observability.record("out", {
      call: { message: { ...submission.message, metadata: { ...submission.message.metadata, request_id: requestId } }, deadline, path: [], pattern: "async" },
      outcome: "sent",
      duration_ms: 0,
    });
    // The timer only ends this wait; the durable `request` deadline times the request out after eviction.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
    });
    const reply = await Promise.race([pending.wait(requestId), timeout]);
    clearTimeout(timer);
    if (reply) return { ok: true, reply };
    if (pending.expire(requestId)) {
      deadlines.cancel("request", requestId);
      observability.logReply(requestId, "timed_out");
    }
    return failure("timeout", `no reply from ${to} to ${requestId} before the deadline`);
  }

  /** A reply addressed to this agent (reply_to): resolves its pending request, once. */
  async receive(entry: AgentEntry | null, reply: Envelope): Promise<ReplyDisposition> {
    const { pending, deadlines, observability } = this.deps;
    const disposition = pending.applyReply(reply);
    const requestId = String(reply.metadata.in_reply_to ?? "");
    if (disposition === "applied") deadlines.cancel("request", requestId);
    observability.logReply(requestId, disposition === "applied" ? "ok" : disposition, reply);
    const { definition } = this.deps;
    if (disposition === "unknown" && entry && definition?.onReply) {
      const call: Call = { message: reply, deadline: deadlineAfter(entry.limits.timeout_ms), path: [], pattern: "reply" };
      await definition.onReply(reply, replyContext(this.deps.env, entry, call, this.deps.outbound));
    }
    return disposition;
  }

  /** The `request` deadline passed (alarm): time the request out unless its reply came first. */
  expire(requestId: string): void {
    if (this.deps.pending.expire(requestId)) this.deps.observability.logReply(requestId, "timed_out");
  }
}

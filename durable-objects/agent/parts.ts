/**
 * How an AgentDO's parts connect: each feature helper gets its storage, env and the other parts it
 * needs, explicitly. The object's own RPC methods that parts call back into (`invoke`, `emit`) come
 * in as `rpc`, so a part reaches another agent feature through the same path an RPC caller would.
 * A part that schedules a deadline kind registers its handler with the deadline table itself.
 */
import { agentRef } from "../../lib/agents/agent-ref";
import type { Call } from "../../lib/message/call";
import type { CodeAgents } from "../../lib/agents/define-agent";
import type { InvokeResult } from "../../lib/message/call";
import type { Result } from "../../lib/message/errors";
import type { EmitResult } from "../../lib/patterns/observer";
import { ToolCatalog, toolDescription } from "../../lib/model/tool-catalog";
import { parseToolRef } from "../../lib/model/tool-refs";
import { leaseMs } from "../../lib/protocols/async-delivery";
import { metricsFlushMs } from "../../lib/observability/metrics-aggregate";
import { PendingReplies } from "../../lib/protocols/pending-replies";
import { RequestStore } from "../../lib/protocols/request-store";
import { shardObjectName } from "../../lib/registry/shards";
import { deadLetters } from "../../lib/resilience/dead-letter-store";
import { DeadlineTable } from "../../lib/resilience/deadline-table";
import { Pool } from "../../lib/resilience/pool";
import { A2ATasks } from "./a2a-tasks";
import { Batching } from "./batching";
import { DelayedDelivery } from "./delayed-delivery";
import { FlowControl } from "./flow-control";
import type { Outbound } from "./handler-context";
import { Handshakes } from "./handshakes";
import { Invocation } from "./invocation";
import { KeyedCalls } from "./keyed-calls";
import { Streaming } from "./streaming";
import { InputWaiting } from "./input-waiting";
import { Messaging } from "./messaging";
import { MetricsPush } from "./metrics-push";
import { Observability } from "./observability";
import { Observers } from "./observers";
import { Registration } from "./registration";
import { Retention } from "./retention";
import { Schedules } from "./schedules";
import { RequestReply } from "./request-reply";
import { ShardedBreaker } from "./sharding";

/** The AgentDO methods parts call back into (called through, never bound). */
export interface AgentRpcPorts {
  invoke(call: Call): Promise<InvokeResult>;
  emit(event: string, data: unknown, traceparent: string | null, path: string[]): Promise<Result<EmitResult>>;
}

export type AgentParts = ReturnType<typeof createParts>;

/** Builds every part of one AgentDO over its storage; their tables are created here (the A2A one on first use). */
export function createParts(ctx: DurableObjectState, env: Env, codeAgents: CodeAgents, rpc: AgentRpcPorts) {
  const { sql, kv } = ctx.storage;
  const pool = new Pool(10);
  const deadlines = new DeadlineTable(sql, ctx.storage);
  const pending = new PendingReplies(sql);
  const breakers = new ShardedBreaker({ kv, env, waitUntil: (promise) => ctx.waitUntil(promise), changed: () => metricsPush.changed() });
  const registration = new Registration(ctx, codeAgents, breakers, pool);
  const { agent: self, address } = registration;
  const load = () => registration.load();
  const objectName = shardObjectName(address.agent, address.shard);
  const observability = new Observability(
    ctx,
    env,
    self,
    objectName,
    () => metricsPush.changed(),
    () => load()?.log.sample ?? 1,
  );
  const metricsPush = new MetricsPush({
    env,
    deadlines,
    objectName,
    agent: self,
    report: () => observability.report(self, load(), breakers.local, pool.inFlight),
    flushMs: metricsFlushMs(env),
    waitUntil: (promise) => ctx.waitUntil(promise),
  });
  const handshakes = new Handshakes(sql, env);
  const { peers } = handshakes;
  const observers = new Observers(sql, env.FANOUT, observability);
  const batching = new Batching({ sql, env, deadlines, self, load, log: (row) => observability.append(row) });
  // Every stored request makes sure retention will sweep; retention is read at call time.
  const requests = new RequestStore(sql, () => retention.stored());
  const retention = new Retention({ requests, deadlines, waitUntil: (promise) => ctx.waitUntil(promise) });
  const tasks = new A2ATasks(sql);
  // Scheduled requests go back to messaging when due; messaging is read at call time.
  const delayed = new DelayedDelivery({ sql, deadlines, release: (ids) => messaging.release(self, load(), ids) });
  const flow = new FlowControl({ sql, kv, deadlines, load, enqueue: (ids) => messaging.enqueue(ids, self) });
  const messaging = new Messaging({
    sql,
    env,
    shard: address.shard,
    peers,
    load,
    requests,
    asked: (requestId) => waiting.wait(load(), requestId),
    stopWaiting: (row) => {
      waiting.stop(row.request_id);
      tasks.requestEnded(row);
    },
    invoke: (call, stream) => invocation.invoke(registration.loadFor(call.message.to), call, stream),
    streams: {
      attempt: (r, m, first) => streaming.attempt(r, m, first),
      endRequest: (r, m, f) => streaming.endRequest(r, m, f),
      openRequest: (r, m) => streaming.openRequest(r, m),
      read: (id, after, viewer) => streaming.read(id, after, viewer),
    },
    cancelRunning: (messageId, detail) => invocation.cancel(messageId, detail),
    retried: () => observability.metrics.retry(),
    dropped: (message, detail) => observability.dropped({ message, path: [], pattern: "async" }, detail),
    deadLetters: deadLetters(env),
    deadlines,
    waitUntil: (promise) => ctx.waitUntil(promise),
    leaseMs: leaseMs(env.SWITCHBOARD_DELIVERY_LEASE_MS),
    delayed,
    flow,
  });
  const schedules = new Schedules({
    sql,
    deadlines,
    agent: self,
    submit: (submission) => messaging.submit(self, load(), submission),
    paused: () => flow.paused,
  });
  const waiting = new InputWaiting({
    shard: address.shard,
    requests,
    deadlines,
    queue: env.DELIVERIES,
    leases: messaging.leases,
    load,
    deliver: (requestId) => messaging.deliver(self, load(), requestId),
    storeLetter: (requestId) => messaging.sendLetterOrRetry(requestId),
    ended: (row) => tasks.requestEnded(row),
    endStream: (requestId, message, result) => streaming.endRequest(requestId, message, result),
    now: Date.now,
  });
  // The paths a handler's ctx reaches other agents by; the two parts built after it are read at call time.
  const tools = new ToolCatalog(async (ref) => {
    const { agent, tool } = parseToolRef(ref);
    const described = await agentRef(env, agent).client.describe();
    return described ? toolDescription(described.entry, tool) : null;
  });
  const outbound: Outbound = {
    call: (to, call, signal) => invocation.callOut(to, call, signal),
    stream: (to, call, signal) => invocation.streamOut(to, call, signal),
    request: (to, submission, deadline) => requestReply.request(to, submission, deadline),
    handshake: (entry, to) => handshakes.offer(entry, to),
    emit: (event, data, traceparent, path) => rpc.emit(event, data, traceparent, path),
    describe: (agent) => tools.describe(agent),
    // A step with no message is a tool call the model asked for and was refused: counted, never sent.
    toolStep: (step) => {
      if (step.message_id === null) observability.metrics.toolRejected();
    },
  };
  const requestReply = new RequestReply({ env, shard: address.shard, definition: codeAgents.get(self), pending, deadlines, observability, outbound });
  const invocation = new Invocation({ env, codeAgents, pool, peers, breakers, batching, observability, outbound });
  const keyed = new KeyedCalls({
    shard: address.shard,
    requests,
    invoke: (entry, call) => invocation.invoke(entry, call),
    forward: (shard, call, keyed) => invocation.forwardKeyed(shard, call, keyed),
    stream: (entry, call, keying) => streaming.invoke(entry, call, keying),
    replayStream: (call, answer) => streaming.replay(call, answer),
    // A stream outlives its caller's connection (it is resumable), so nothing here needs cancelling.
    forwardStream: (shard, call, keyed) => agentRef(env, self).invokeStreamKeyed(call, keyed, {}, shard),
    park: (parked) => waiting.park(self, load(), parked),
    replayed: (call, detail) => observability.replayed(call, detail),
  });
  const streaming = new Streaming({
    ctx,
    env,
    deadlines,
    address,
    invoke: (entry, call, stream) => invocation.invoke(entry, call, stream),
    cancel: (messageId, detail) => invocation.cancel(messageId, detail),
    // Waiting requests live at the home object, where /requests/:id finds them.
    park: (parked) => (address.shard === 0 ? waiting.park(self, load(), parked) : agentRef(env, self).client.park(parked)),
    rebuilt: (id) => messaging.rebuiltStream(id),
  });
  return {
    pool,
    deadlines,
    breakers,
    registration,
    observability,
    metricsPush,
    handshakes,
    observers,
    batching,
    messaging,
    delayed,
    flow,
    schedules,
    waiting,
    requestReply,
    invocation,
    keyed,
    streaming,
    tasks,
  };
}

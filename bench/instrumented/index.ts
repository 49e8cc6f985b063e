/**
 * The Switchboard worker as the benchmark runs it: functions/index.ts unchanged, plus a Durable
 * Object call counter, so "exactly one Durable Object round trip per sync invoke" is measured
 * rather than asserted from reading the code.
 *
 * - A request carrying `x-bench-count-do: 1` runs with an env whose Durable Object namespaces count
 *   every call made on their stubs; the answer carries the count in `x-bench-do-calls`. Requests
 *   without the header get the real env untouched, so the load scenarios measure the real worker
 *   (the only extra cost is one header lookup).
 * - AgentDO is subclassed to count the calls each agent's object makes to other objects
 *   (ctx.invoke, chains, forwarding). Objects of one script share the worker's isolate under
 *   `wrangler dev`, so `GET /__bench/do-calls` reads the same module-level counter; a proxy on
 *   an object's outbound stubs costs a closure call next to an RPC round trip. Calls to the trace
 *   index and the metrics aggregates are counted apart (`batched`): they are sent once a second
 *   (trace sightings) or once per flush interval (metrics) per object whatever the number of
 *   calls, so whether one falls inside a counting window depends on the clock, not on the call.
 *
 * Run with `wrangler dev bench/instrumented/index.ts --config wrangler.toml`: same config, same
 * bindings, only the entry differs.
 */
import worker from "../../functions/index";
import { AgentDO as RealAgentDO } from "../../functions/index";

// Every other export (DirectoryDO, DeadLetterDO, classes added later) passes through; the local
// AgentDO below shadows the star export.
export * from "../../functions/index";

interface Counter {
  calls: number;
  /** Calls to BATCHED bindings. */
  batched: number;
}

/** Where the object-side counter is read (bench/support/do-calls.ts). */
const COUNTS_PATH = "/__bench/do-calls";

/** Bindings whose objects agents write to in timed batches, off the call path. */
const BATCHED = new Set(["TRACE", "METRICS"]);

/** Calls made by agent objects to other objects since the worker started. */
const fromObjects: Counter = { calls: 0, batched: 0 };

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof value === "object" && value !== null && typeof (value as DurableObjectNamespace).idFromName === "function";
}

function countingStub(stub: object, counter: Counter, batched: boolean): object {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function" || prop === "then") return value;
      return (...args: unknown[]) => {
        if (batched) counter.batched++;
        else counter.calls++;
        // Reflect.apply: on an RPC stub, `.apply` would itself be taken for a remote method name.
        return Reflect.apply(value, target, args);
      };
    },
  });
}

function countingNamespace(ns: DurableObjectNamespace, counter: Counter, batched: boolean): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => countingStub(Reflect.apply(value, target, args), counter, batched);
      }
      return (...args: unknown[]) => Reflect.apply(value, target, args);
    },
  });
}

/** A copy of env whose Durable Object namespaces count calls into `counter`. */
function countingEnv<E extends object>(env: E, counter: Counter): E {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) copy[key] = isNamespace(value) ? countingNamespace(value, counter, BATCHED.has(key)) : value;
  return copy as E;
}

export class AgentDO extends RealAgentDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countingEnv(env, fromObjects));
  }
}

export default {
  ...worker,
  async fetch(request, env, ctx) {
    // The counter's own path by the URL's end, not a URL parse: this runs on every measured request
    // and must cost Switchboard's side nothing the baseline does not pay.
    if (request.url.endsWith(COUNTS_PATH)) return Response.json({ from_objects: fromObjects.calls, batched: fromObjects.batched });
    if (request.headers.get("x-bench-count-do") !== "1") return worker.fetch(request, env, ctx);
    const counter: Counter = { calls: 0, batched: 0 };
    const response = await worker.fetch(request, countingEnv(env, counter), ctx);
    const counted = new Response(response.body, response);
    counted.headers.set("x-bench-do-calls", String(counter.calls));
    return counted;
  },
} satisfies ExportedHandler<Env>;

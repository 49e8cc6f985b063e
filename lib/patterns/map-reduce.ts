/**
 * Map-reduce across agents: split `data` into chunks (chunking.ts), call every mapper in parallel,
 * then call the reducer with the map results as structured JSON. Transport is a port, so the same
 * orchestration runs in the Worker (`POST /patterns/map-reduce`) and inside an agent
 * (`ctx.mapReduce`); either way each call passes the target's own pipeline (ACL, breaker,
 * concurrency cap, deadline, log) with pattern "map-reduce".
 */
import { type Call, makeEnvelope } from "../message/call";
import type { InvokeResult } from "../message/call";
import type { Envelope, Metadata } from "../message/envelope";
import { type ErrorCode, type Failure, failure } from "../message/errors";
import { planChunks } from "./chunking";

/** Sends one call to one agent and resolves with its outcome (never rejects for agent failures). */
export type CallPort = (to: string, call: Call) => Promise<InvokeResult>;

export interface MapReduceSpec {
  data: unknown[];
  mappers: string[];
  reducer: string;
  chunk_size?: number;
  /** Successful mappers needed for the reduce to run. @default every chunk */
  min_success?: number;
  metadata?: Metadata;
}

/** Who is asking, and within which deadline (epoch ms; each agent's own `limits.timeout_ms` may shorten it). */
export interface MapReduceOrigin {
  from: string | null;
  deadline: number;
  path: string[];
  traceparent: string | null;
}

export type MapResult =
  | { index: number; mapper: string; chunk: unknown[]; reply: Envelope }
  | { index: number; mapper: string; chunk: unknown[]; error: { code: ErrorCode; detail: string } };

export interface MapReduceAnswer {
  result: Envelope;
  map_results: MapResult[];
  chunks: number;
}

/** A failed map-reduce still says what every mapper did. */
export type MapReduceFailure = Failure & { stage: "map" | "reduce"; map_results: MapResult[]; chunks: number };
export type MapReduceOutcome = ({ ok: true } & MapReduceAnswer) | MapReduceFailure;

/** What the reducer receives: one entry per chunk, in order, with the mapper's reply content or error. */
export type ReducerInput = Array<
  { index: number; mapper: string; reply: unknown } | { index: number; mapper: string; error: { code: ErrorCode; detail: string } }
>;

export async function mapReduce(spec: MapReduceSpec, origin: MapReduceOrigin, send: CallPort, now: () => number = Date.now): Promise<MapReduceOutcome> {
  const chunks = planChunks(spec.data, spec.mappers, spec.chunk_size);
  const needed = Math.min(spec.min_success ?? chunks.length, chunks.length);
  const call = (to: string, content: unknown, metadata: Metadata): Call => ({
    message: makeEnvelope({ from: origin.from, to, role: "agent_call", content, metadata, traceparent: origin.traceparent, now: now() }),
    deadline: origin.deadline,
    path: origin.path,
    pattern: "map-reduce",
  });

  const map_results: MapResult[] = await Promise.all(
    chunks.map(async ({ index, mapper, items }): Promise<MapResult> => {
      const result = await send(mapper, call(mapper, items, { ...spec.metadata, chunk: index, chunks: chunks.length }));
      return result.ok
        ? { index, mapper, chunk: items, reply: result.reply }
        : { index, mapper, chunk: items, error: { code: result.code, detail: result.detail } };
    }),
  );
  const succeeded = map_results.filter((r) => "reply" in r).length;
  if (succeeded < needed) {
    const failed = map_results.filter((r) => "error" in r);
    return {
      ...mapFailure(
        failed.map((r) => ("error" in r ? r.error.code : "agent_error")),
        `${succeeded} of ${chunks.length} mappers succeeded, ${needed} needed; the reducer was not called`,
      ),
      stage: "map",
      map_results,
      chunks: chunks.length,
    };
  }

  const input: ReducerInput = map_results.map((r) =>
    "reply" in r ? { index: r.index, mapper: r.mapper, reply: r.reply.content } : { index: r.index, mapper: r.mapper, error: r.error },
  );
  const reduced = await send(spec.reducer, call(spec.reducer, input, { ...spec.metadata, chunks: chunks.length, succeeded }));
  if (!reduced.ok) return { ...reduced, detail: `reducer ${spec.reducer}: ${reduced.detail}`, stage: "reduce", map_results, chunks: chunks.length };
  return { ok: true, result: reduced.reply, map_results, chunks: chunks.length };
}

/**
 * The error a map stage that fell short answers with: the mappers' own code when they all failed
 * the same way (404 agent_not_found, 403 forbidden, 504 timeout…), else 502 agent_error.
 */
export function mapFailure(codes: ErrorCode[], detail: string): Failure {
  const first = codes[0];
  const same = first !== undefined && codes.every((c) => c === first);
  return failure(same ? first : "agent_error", detail);
}

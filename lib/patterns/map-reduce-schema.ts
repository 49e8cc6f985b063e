/**
 * The map-reduce request (docs/api.md `POST /patterns/map-reduce`, and `ctx.mapReduce`): one zod schema
 * for validation, types and the OpenAPI document. Checks that need the whole body (how many chunks
 * the data makes) name the field they are about.
 */
import { z } from "@hono/zod-openapi";
import { AgentName, JsonValue, Metadata, TimeoutMs } from "../message/envelope";
import { chunkCount, MAX_CHUNKS } from "./chunking";

export const MapReduceBody = z
  .strictObject({
    data: z.array(JsonValue),
    mappers: z.array(AgentName).min(1).max(64),
    reducer: AgentName,
    /** Items per chunk; without it, one chunk per mapper. */
    chunk_size: z.number().int().min(1).optional(),
    /** Mappers that must succeed for the reduce to run. @default every chunk */
    min_success: z.number().int().min(0).optional(),
    timeout_ms: TimeoutMs.optional(),
    metadata: Metadata.optional(),
  })
  .superRefine((body, ctx) => {
    const chunks = chunkCount(body.data.length, body.mappers.length, body.chunk_size);
    if (chunks > MAX_CHUNKS) {
      ctx.addIssue({ code: "custom", path: ["chunk_size"], message: `${body.data.length} items make ${chunks} chunks; at most ${MAX_CHUNKS} are allowed` });
    }
    if (body.min_success !== undefined && body.min_success > chunks) {
      ctx.addIssue({ code: "custom", path: ["min_success"], message: `must be at most the number of chunks (${chunks})` });
    }
  })
  .openapi("MapReduceBody", {
    example: { data: ["the cat", "the dog", "a cat"], mappers: ["wordcount-map", "wordcount-map"], reducer: "wordcount-reduce" },
  });
export type MapReduceBody = z.infer<typeof MapReduceBody>;

const MapResult = z
  .object({
    index: z.number().int(),
    mapper: z.string(),
    chunk: z.array(JsonValue),
    reply: z.unknown().optional(),
    error: z.object({ code: z.string(), detail: z.string() }).optional(),
  })
  .openapi("MapResult");

export const MapReduceAnswer = z.object({ result: z.unknown(), map_results: z.array(MapResult), chunks: z.number().int() }).openapi("MapReduceAnswer");

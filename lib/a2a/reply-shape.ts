/**
 * How a Switchboard reply becomes an A2A answer. By default a reply is a completed task whose one
 * artifact (and status message) holds the reply's content; a reply's `metadata.a2a` may shape it
 * otherwise, for agents that speak A2A on purpose (the conformance fixture, bridges):
 *
 * - `{ "response": "message" }` answers a Message instead of a Task;
 * - `{ "state": "rejected" }` ends the task rejected;
 * - `{ "artifacts": [{ artifactId?, name?, parts, append?, lastChunk? }] }` replaces the one
 *   artifact: A2A JSON parts, sent as artifact updates in order (an empty list sends none).
 *
 * Switchboard's own metadata keys travel in A2A's camelCase (`inReplyTo`, `handledBy`, `durationMs`).
 */
import { type Artifact, Part } from "@a2a-js/sdk";
import { z } from "@hono/zod-openapi";
import type { Metadata } from "../message/envelope";
import { SwitchboardError } from "../message/errors";

export const A2A_SHAPE_KEY = "a2a";

const ShapedArtifact = z.strictObject({
  artifactId: z.string().min(1).max(256).optional(),
  name: z.string().max(256).optional(),
  description: z.string().max(1024).optional(),
  parts: z.array(z.record(z.string(), z.unknown())).max(64),
  append: z.boolean().optional(),
  lastChunk: z.boolean().optional(),
});

export const A2aShape = z.strictObject({
  response: z.literal("message").optional(),
  state: z.literal("rejected").optional(),
  artifacts: z.array(ShapedArtifact).max(64).optional(),
});
export type A2aShape = z.infer<typeof A2aShape>;

/** An artifact update the task stream carries. */
export interface ArtifactChunk {
  artifact: Artifact;
  append: boolean;
  lastChunk: boolean;
}

/** The shape a reply asks for (none: `{}`); a malformed one is the agent's permanent error. */
export function shapeOf(metadata: Metadata): A2aShape {
  const value = metadata[A2A_SHAPE_KEY];
  if (value === undefined) return {};
  const parsed = A2aShape.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SwitchboardError("agent_error", `metadata.a2a.${issue?.path.join(".")}: ${issue?.message}`, { transient: false });
}

/** The shaped artifacts as the SDK's types. */
export function shapedArtifacts(shape: A2aShape, fallbackId: string, metadata: Record<string, unknown>): ArtifactChunk[] | null {
  if (!shape.artifacts) return null;
  return shape.artifacts.map((a, i) => ({
    artifact: {
      artifactId: a.artifactId ?? `${fallbackId}-${i}`,
      name: a.name ?? "",
      description: a.description ?? "",
      parts: a.parts.map((p) => Part.fromJSON(p)),
      metadata,
      extensions: [],
    },
    append: a.append ?? false,
    lastChunk: a.lastChunk ?? true,
  }));
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A reply's metadata as A2A carries it: top-level keys camelCase, without the shaping key. */
export function a2aMetadata(metadata: Metadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) if (key !== A2A_SHAPE_KEY) out[camel(key)] = value;
  return out;
}

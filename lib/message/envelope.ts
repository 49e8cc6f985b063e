/**
 * The message envelope (docs/api.md "The message envelope") and the request bodies that carry one. These zod
 * schemas are the validation at the edge, the TypeScript types, and the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { AGENT_NAME, isAgentName, LIMITS, RESERVED_AGENT_NAMES } from "./limits";

export const AgentName = z
  .string()
  .regex(AGENT_NAME, "agent names match ^[a-z0-9][a-z0-9-]{0,62}$")
  .refine((name) => !RESERVED_AGENT_NAMES.has(name), { message: `agent names ${[...RESERVED_AGENT_NAMES].join(", ")} are reserved for principals` })
  .openapi({ example: "summarizer" });

/** Any JSON value. Depth and size were checked when the body was parsed. */
export const JsonValue: z.ZodType<unknown> = z.unknown().openapi({ description: "any JSON value" });

/** No control characters in short identifiers such as types and ids. */
const Printable = z
  .string()
  .max(256)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters");

export const Role = z.enum(["agent_call", "reply", "event", "error", "handshake"]);
export type Role = z.infer<typeof Role>;

/**
 * Checked in place, not rebuilt: a record schema copies the object by assignment, and assigning a
 * key `__proto__` sets a prototype instead, silently dropping it. JSON.parse made every key an own
 * property, so `__proto__` stays what docs/api.md says it is: data.
 */
export const Metadata = z
  .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: "metadata must be an object" })
  .refine((m) => Object.keys(m).length <= LIMITS.maxMetadataKeys, {
    message: `metadata may have at most ${LIMITS.maxMetadataKeys} keys`,
  })
  .superRefine((m, ctx) => {
    for (const [key, value] of Object.entries(m)) {
      if (key.length > 128) ctx.addIssue({ code: "custom", path: [key.slice(0, 40)], message: "metadata keys are at most 128 characters" });
      if (/\p{Cc}/u.test(key)) ctx.addIssue({ code: "custom", path: [key], message: "metadata keys must not contain control characters" });
      if (typeof value === "string" && value.length > LIMITS.maxMetadataString) {
        ctx.addIssue({ code: "custom", path: [key], message: `metadata strings are at most ${LIMITS.maxMetadataString} characters` });
      }
    }
    for (const key of ["type", "request_id", "in_reply_to", "reply_to"] as const) {
      const value = Object.hasOwn(m, key) ? m[key] : undefined;
      if (value === undefined) continue;
      const check = Printable.safeParse(value);
      if (!check.success) {
        ctx.addIssue({ code: "custom", path: [key], message: `metadata.${key} must be a string without control characters, at most 256 characters` });
      }
    }
  })
  .openapi({ type: "object", additionalProperties: true, example: { type: "billing" } });
export type Metadata = z.infer<typeof Metadata>;

export const Trace = z.object({ traceparent: z.string() }).openapi("Trace");

export const Envelope = z
  .object({
    id: z.string(),
    from: z.string().nullable(),
    to: z.string(),
    role: Role,
    content: JsonValue,
    metadata: Metadata,
    created_at: z.string(),
    trace: Trace,
  })
  .openapi("Envelope");
export type Envelope = z.infer<typeof Envelope>;

export const TimeoutMs = z.number().int().min(1).max(LIMITS.maxTimeoutMs);
export const IdempotencyKey = Printable.min(1);

export const InvokeBody = z
  .strictObject({
    content: JsonValue,
    metadata: Metadata.optional(),
    timeout_ms: TimeoutMs.optional(),
    idempotency_key: IdempotencyKey.optional(),
  })
  .refine((b) => b.content !== undefined, { message: "content is required", path: ["content"] })
  .openapi("InvokeBody");
export type InvokeBody = z.infer<typeof InvokeBody>;

/** Where a reply goes: an agent name or an http(s) URL (checked by the SSRF guard). */
export const ReplyTo = z
  .string()
  .max(2048)
  .refine((v) => isAgentName(v) || /^https?:\/\//i.test(v), {
    message: "reply_to must be an agent name or an https URL",
  });

/** When to deliver an async message: an RFC 3339 time with a zone, at most `LIMITS.maxDelayMs` ahead. */
export const DeliverAt = z.iso
  .datetime({ offset: true, message: "deliver_at must be an RFC 3339 date-time with a zone, e.g. 2026-12-24T09:00:00Z" })
  .openapi({ example: "2026-12-24T09:00:00Z" });
export const DelayMs = z.number().int().min(0).max(LIMITS.maxDelayMs);

export const MessageBody = z
  .strictObject({
    content: JsonValue,
    metadata: Metadata.optional(),
    timeout_ms: TimeoutMs.optional(),
    idempotency_key: IdempotencyKey.optional(),
    reply_to: ReplyTo.optional(),
    /** Deliver at this time instead of now (status `scheduled` until then). */
    deliver_at: DeliverAt.optional(),
    /** Deliver this many milliseconds from now. */
    delay_ms: DelayMs.optional(),
  })
  .refine((b) => b.content !== undefined, { message: "content is required", path: ["content"] })
  .openapi("MessageBody");
export type MessageBody = z.infer<typeof MessageBody>;

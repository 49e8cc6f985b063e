/**
 * Flow control of an agent's async deliveries (`flow` on a registry entry): deliveries that share a
 * key value — the value at `key` in each message, e.g. its `metadata.tenant` — respect that key's
 * `concurrency` and `rate`; `debounce_ms` keeps only the last message per key value in a window.
 * Any subset may be given; without `key` every message shares one key.
 */
import { z } from "@hono/zod-openapi";

/** Where a message's key is: `from`, or a dotted path into `metadata` or `content`. */
export const FLOW_KEY = /^(?:from|metadata(?:\.[A-Za-z0-9_-]{1,64}){1,8}|content(?:\.[A-Za-z0-9_-]{1,64}){0,8})$/;

/** The longest rate window. @default 86400000 (a day) */
export const MAX_PERIOD_MS = 86_400_000;

export const FlowConfig = z
  .strictObject({
    /** A string path into the message: `from`, `metadata.<field>…` or `content[.<field>…]`. */
    key: z
      .string()
      .max(600)
      .regex(FLOW_KEY, 'key must be a path such as "metadata.tenant", "content.customer.id" or "from"')
      .optional()
      .openapi({ example: "metadata.tenant" }),
    /** Deliveries of one key value running at once. */
    concurrency: z.number().int().min(1).max(1000).optional(),
    /** At most `limit` deliveries of one key value start in any `period_ms` (a sliding window). */
    rate: z.strictObject({ limit: z.number().int().min(1).max(10_000), period_ms: z.number().int().min(100).max(MAX_PERIOD_MS) }).optional(),
    /** Within this window only the last message of a key value is delivered; the earlier ones end `superseded`. */
    debounce_ms: z.number().int().min(10).max(86_400_000).optional(),
  })
  .refine((flow) => flow.concurrency !== undefined || flow.rate !== undefined || flow.debounce_ms !== undefined, {
    message: "flow needs concurrency, rate or debounce_ms",
  })
  .openapi("FlowConfig");
export type FlowConfig = z.infer<typeof FlowConfig>;

/** Key values are cut to this length, so a huge field cannot make a huge key. */
const MAX_KEY_LENGTH = 256;

/**
 * The key value of a message: a string at the path as it is, a number or boolean as text; anything
 * else (missing, null, an object) is the empty key, which all such messages share. Only own
 * properties are read, so `__proto__` and friends are plain data.
 */
export function flowKeyOf(message: { from: string | null; content: unknown; metadata: Record<string, unknown> }, path: string | undefined): string {
  if (path === undefined) return "";
  const [root, ...rest] = path.split(".");
  let value: unknown = root === "from" ? message.from : root === "metadata" ? message.metadata : message.content;
  for (const segment of rest) {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.hasOwn(value, segment)) return "";
    value = (value as Record<string, unknown>)[segment];
  }
  if (typeof value === "string") return value.slice(0, MAX_KEY_LENGTH);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

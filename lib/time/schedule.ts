/**
 * A recurring schedule (`POST /agents/:name/schedules`): what it sends, when, and what it did. The
 * body schema is the validation at the edge, the type and the OpenAPI document; the view is what
 * the routes answer.
 */
import { z } from "@hono/zod-openapi";
import { JsonValue, Metadata, ReplyTo, TimeoutMs } from "../message/envelope";
import { LIMITS } from "../message/limits";
import type { CatchUp } from "./firing-plan";
import { cronProblem, isTimeZone, MIN_INTERVAL_MS, type RecurrenceSpec } from "./recurrence";

/** Schedules one agent may hold. @default 100 */
export const MAX_SCHEDULES = 100;

export const ScheduleBody = z
  .strictObject({
    /** 5 fields: minute hour day-of-month month day-of-week. */
    cron: z.string().min(1).max(256).optional().openapi({ example: "0 9 * * 1-5" }),
    /** IANA time zone the cron is read in. @default "UTC" */
    timezone: z.string().min(1).max(64).optional().openapi({ example: "Europe/Paris" }),
    every_ms: z.number().int().min(MIN_INTERVAL_MS).max(LIMITS.maxDelayMs).optional(),
    content: JsonValue,
    metadata: Metadata.optional(),
    reply_to: ReplyTo.optional(),
    timeout_ms: TimeoutMs.optional(),
    /** Missed firings (while paused, or after downtime): `none`, `one` or `all` (at most 100). @default "one" */
    catch_up: z.enum(["none", "one", "all"]).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.cron === undefined) === (body.every_ms === undefined)) {
      ctx.addIssue({ code: "custom", path: ["cron"], message: "give cron or every_ms, one of them" });
      return;
    }
    if (body.timezone !== undefined && body.cron === undefined) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: "timezone applies to cron schedules only" });
      return;
    }
    if (body.timezone !== undefined && !isTimeZone(body.timezone)) {
      ctx.addIssue({ code: "custom", path: ["timezone"], message: `unknown time zone "${body.timezone}"; use an IANA name such as "Europe/Paris"` });
      return;
    }
    const problem = body.cron === undefined ? null : cronProblem(body.cron, body.timezone);
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: problem });
  })
  .openapi("ScheduleBody");
export type ScheduleBody = z.infer<typeof ScheduleBody>;

/** A schedule as stored in the agent's object. */
export interface ScheduleRow {
  id: string;
  spec: RecurrenceSpec;
  /** First due time of an interval schedule; later ones are whole intervals after it. */
  anchor_at: number;
  message: { content: unknown; metadata: Metadata; reply_to: string | null; timeout_ms: number | null };
  /** Who created it: the `from` of every firing (null: admin). */
  sender: string | null;
  catch_up: CatchUp;
  paused: boolean;
  /** The next due time not fired yet; null once it never fires again. */
  next_at: number | null;
  last_fired_at: number | null;
  fired: number;
  skipped: number;
  /** Why the last firing was refused (the sender lost access, say), if it was. */
  last_error: { code: string; detail: string } | null;
  created_at: number;
}

export const ScheduleView = z
  .object({
    id: z.string(),
    agent: z.string(),
    cron: z.string().optional(),
    timezone: z.string().optional(),
    every_ms: z.number().optional(),
    catch_up: z.enum(["none", "one", "all"]),
    paused: z.boolean(),
    next_at: z.string().nullable(),
    last_fired_at: z.string().nullable(),
    fired: z.number(),
    skipped: z.number(),
    last_error: z.object({ code: z.string(), detail: z.string() }).nullable(),
    from: z.string().nullable(),
    content: JsonValue,
    metadata: Metadata,
    reply_to: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Schedule");
export type ScheduleView = z.infer<typeof ScheduleView>;

export function scheduleView(agent: string, row: ScheduleRow): ScheduleView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    agent,
    ...row.spec,
    catch_up: row.catch_up,
    paused: row.paused,
    next_at: iso(row.next_at),
    last_fired_at: iso(row.last_fired_at),
    fired: row.fired,
    skipped: row.skipped,
    last_error: row.last_error,
    from: row.sender,
    content: row.message.content,
    metadata: row.message.metadata,
    reply_to: row.message.reply_to,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/**
 * Request validation at the edge. Bodies are read within the size and depth limits, then checked
 * against the same zod schemas the OpenAPI document shows; the first problem is reported naming
 * its field, as `invalid_request`.
 */
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { readJsonBody } from "../../lib/message/json-body";
import { LIMITS, RESERVED_AGENT_NAMES } from "../../lib/message/limits";
import type { AppEnv } from "./app-env";

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = "body"): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SwitchboardError("invalid_request", `invalid ${what}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export async function jsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type");
  if (type && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type) && !/^text\/plain\b/i.test(type) && !/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new SwitchboardError("invalid_request", `content-type must be application/json, not ${type.slice(0, 80)}`);
  }
  return parseWith(schema, await readJsonBody(c.req.raw, maxBodyBytes(c.env)));
}

/** `SWITCHBOARD_MAX_BODY_BYTES`, or the default limit. */
export function maxBodyBytes(env: Env): number {
  const configured = Number(env.SWITCHBOARD_MAX_BODY_BYTES);
  return Number.isInteger(configured) && configured > 0 ? configured : LIMITS.maxBodyBytes;
}

export function agentParam(c: Context, key = "name"): string {
  const value = c.req.param(key) ?? "";
  const parsed = AgentName.safeParse(value);
  if (!parsed.success) {
    const why = RESERVED_AGENT_NAMES.has(value) ? "is reserved for a principal" : "is not a valid agent name (^[a-z0-9][a-z0-9-]{0,62}$)";
    throw new SwitchboardError("invalid_request", `"${value.slice(0, 80)}" ${why}`);
  }
  return parsed.data;
}

export function intQuery(c: Context, key: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(key);
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new SwitchboardError("invalid_request", `query ${key} must be an integer`);
  const value = Number(raw);
  if (value < min || value > max) throw new SwitchboardError("invalid_request", `query ${key} must be between ${min} and ${max}`);
  return value;
}

/**
 * `input_schema`: the JSON Schema of what an agent accepts as `content`. Any entry may declare one
 * (code agents in `defineAgent`, configured agents in `PUT /agents/:name`). Every path to the agent
 * refuses content it does not match (`contentRefusal`), before the handler, the breaker or the cap;
 * model agents also describe their tools to the model with it and check the model's tool arguments
 * against it before any call.
 *
 * Validation is @cfworker/json-schema: a spec-compliant validator that interprets schemas instead
 * of compiling them to code, because Workers forbid `eval`/`new Function` (what Ajv needs).
 */
import { z } from "@hono/zod-openapi";
import { type Schema, Validator } from "@cfworker/json-schema";
import { type Failure, failure } from "../message/errors";

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
/** Sent to the model with every step, so it stays small. */
const MAX_SCHEMA_CHARS = 16_384;

export type JsonSchema = Record<string, unknown>;

/** Why `schema` cannot serve as an input schema, or null. */
export function schemaProblem(schema: JsonSchema): string | null {
  const type = schema.type;
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (!types.every((t) => typeof t === "string" && TYPES.has(t))) return `type must be one of ${[...TYPES].join(", ")}`;
  if (JSON.stringify(schema).length > MAX_SCHEMA_CHARS) return `must be at most ${MAX_SCHEMA_CHARS} characters of JSON`;
  try {
    // Construction dereferences the schema and a first validation walks it: a broken $ref or a
    // malformed keyword fails here, at configuration, not on the first tool call.
    new Validator(schema as Schema, "2020-12").validate(null);
  } catch (error) {
    return `not a usable JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

export const InputSchema = z
  .record(z.string(), z.unknown())
  .superRefine((schema, ctx) => {
    const problem = schemaProblem(schema);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi("InputSchema", { description: "JSON Schema (2020-12) of the content this agent accepts; other content is refused with 400 invalid_request" });

/** Whether an input schema describes a JSON object (then tool arguments are the content itself). */
export function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === "object";
}

/** An agent as a tool takes: the JSON Schema of its arguments, and how arguments become the message content. */
export interface ToolArguments {
  parameters: JsonSchema;
  content(args: unknown): unknown;
}

/** Without an input schema a tool takes `{ "content": string }`. */
const CONTENT_ONLY: JsonSchema = {
  type: "object",
  properties: { content: { type: "string", description: "what to send to the agent" } },
  required: ["content"],
};
const contentOf = (args: unknown) => (args as { content: unknown }).content;

/**
 * How an agent with `schema` (its `input_schema`, if any) is offered as a tool, to a model or an
 * MCP client. An object schema is the arguments as they are; any other schema (a string, an array)
 * is wrapped as `{ content }`, because tool arguments are always a JSON object.
 */
export function toolArguments(schema: JsonSchema | undefined): ToolArguments {
  if (schema === undefined) return { parameters: CONTENT_ONLY, content: contentOf };
  if (isObjectSchema(schema)) return { parameters: schema, content: (args) => args };
  return { parameters: { type: "object", properties: { content: schema }, required: ["content"] }, content: contentOf };
}

export type SchemaCheck = { ok: true } | { ok: false; detail: string };

const validators = new WeakMap<JsonSchema, Validator>();

/** Checks `value` against `schema`; the validator is kept per schema object. */
export function checkAgainst(schema: JsonSchema, value: unknown): SchemaCheck {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(schema as Schema, "2020-12", false);
    validators.set(schema, validator);
  }
  const result = validator.validate(value);
  if (result.valid) return { ok: true };
  // The deepest errors name the offending field; the first few are enough for a model to fix its call.
  const detail = result.errors
    .filter((e) => e.keyword !== "properties" && e.keyword !== "$ref")
    .slice(0, 3)
    .map((e) => `${e.instanceLocation.replace(/^#/, "") || "/"}: ${e.error}`)
    .join("; ");
  return { ok: false, detail: detail || "does not match the input schema" };
}

/**
 * The `invalid_request` failure a message gets when its content does not match the agent's
 * `input_schema`, else null (also when the agent declares none): every path to an agent refuses in
 * these words, naming the offending fields.
 */
export function contentRefusal(content: unknown, entry: { name: string; input_schema?: JsonSchema }): Failure | null {
  if (entry.input_schema === undefined) return null;
  const check = checkAgainst(entry.input_schema, content);
  return check.ok ? null : failure("invalid_request", `content does not match the input_schema of ${entry.name}: ${check.detail}`);
}

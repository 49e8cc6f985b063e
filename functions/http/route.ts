/**
 * Registers a route twice from one definition: in the OpenAPI document (`createRoute`, the same
 * zod schemas that validate) and as a Hono handler. Bodies are validated by `jsonBody` within the
 * size and depth limits, rather than by the generated validator, so every bad input gets the same
 * problem+json.
 */
import type { OpenAPIHono, RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "./app-env";

export type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

export function route(app: OpenAPIHono<AppEnv>, config: RouteConfig, handler: Handler): void {
  app.openAPIRegistry.registerPath(config);
  const path = config.path.replace(/\{([^}]+)\}/g, ":$1");
  app.on(config.method.toUpperCase(), path, handler);
}

/** A JSON body's documentation, request or response: `{ description, ...json(Schema) }`. */
export const json = <S extends z.ZodType>(schema: S) => ({ content: { "application/json": { schema } } });

/** Standard problem response documentation for a route. */
export function problems(...statuses: number[]): RouteConfig["responses"] {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: "problem+json", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } },
    ]),
  );
}

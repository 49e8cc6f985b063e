/**
 * GET /openapi.json: the OpenAPI 3.1 document generated from the same zod schemas every route
 * validates with (each `route()` registers itself), plus the shared Problem schema and the two ways
 * to authenticate. GET /docs renders it (functions/pages/docs.ts). Both need a key, like every
 * route but /health and the A2A card.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { ERROR_STATUS } from "../../lib/message/errors";
import { SESSION_COOKIE } from "../../lib/security/session-cookie";
import type { AppEnv } from "../http/app-env";
import { isPublicPath } from "../http/auth";
import { problems, route } from "../http/route";
import { docsPage } from "../pages/docs";

const Problem = z
  .object({
    type: z.string().openapi({ example: "https://switchboard.dev/problems/agent-not-found" }),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...Array<keyof typeof ERROR_STATUS>]),
    detail: z.string(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details with a stable `code`" });

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

export function openApiDocument(app: OpenAPIHono<AppEnv>): Document {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Switchboard",
      version: "1.0.0",
      description: "Agent-to-agent communication on Cloudflare Workers. Errors are application/problem+json with a stable `code`.",
    },
    security: [{ bearer: [] }, { session: [] }],
  });
  // Public routes need no key, whatever their registration said.
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!isPublicPath(path.replace(/\{[^}]+\}/g, "x"))) continue;
    for (const op of Object.values(item as Record<string, { security?: unknown }>)) if (op && typeof op === "object") op.security = [];
  }
  return doc;
}

export function openApiRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.register("Problem", Problem);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key from SWITCHBOARD_API_KEYS",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: "Browser session from POST /dashboard/login; state-changing requests also need `x-switchboard-csrf: 1`",
  });

  let cached: string | null = null;
  route(
    app,
    {
      method: "get",
      path: "/openapi.json",
      tags: ["meta"],
      summary: "This API as an OpenAPI 3.1 document",
      responses: { 200: { description: "OpenAPI 3.1", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } }, ...problems(401) },
    },
    (c) => {
      cached ??= JSON.stringify(openApiDocument(app));
      return c.body(cached, 200, { "content-type": "application/json; charset=utf-8" });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/docs",
      tags: ["meta"],
      summary: "Interactive API documentation (HTML)",
      responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } }, ...problems(401) },
    },
    () => docsPage(),
  );
}

import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";
import { route } from "../http/route";

export function healthRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/health",
      tags: ["meta"],
      summary: "Liveness (public)",
      responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } },
    },
    (c) => c.json({ status: "ok", service: "switchboard" }),
  );
}

/** GET /dashboard, behind the same auth as every route (a browser signs in with the session cookie). */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";
import { problems, route } from "../http/route";
import { sessionRoutes } from "../http/session";
import { dashboardPage } from "../pages/dashboard";

export function dashboardRoutes(app: OpenAPIHono<AppEnv>): void {
  sessionRoutes(app);
  route(
    app,
    {
      method: "get",
      path: "/dashboard",
      tags: ["dashboard"],
      summary: "Live dashboard (HTML); a browser without a session gets 401 with a login form",
      responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } }, ...problems(401) },
    },
    () => dashboardPage(),
  );
}

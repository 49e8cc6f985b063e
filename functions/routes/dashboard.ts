/**
 * The dashboard's pages, behind the same auth as every route (a browser signs in with the session
 * cookie). A page is only a shell: the data it draws comes from the JSON routes, each with its own
 * access rule.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { SwitchboardError } from "../../lib/message/errors";
import { TRACE_ID } from "../../lib/observability/trace-index";
import type { AppEnv } from "../http/app-env";
import { problems, route } from "../http/route";
import { sessionRoutes } from "../http/session";
import { AgentName } from "../../lib/message/envelope";
import { agentParam } from "../http/validate";
import { agentPage } from "../pages/agent-page";
import { dashboardPage } from "../pages/dashboard";
import { tracePage } from "../pages/trace-page";

const html = { description: "HTML page", content: { "text/html": { schema: z.string() } } };

export function dashboardRoutes(app: OpenAPIHono<AppEnv>): void {
  sessionRoutes(app);
  route(
    app,
    {
      method: "get",
      path: "/dashboard",
      tags: ["dashboard"],
      summary: "Live dashboard (HTML); a browser without a session gets 401 with a login form",
      responses: { 200: html, ...problems(401) },
    },
    () => dashboardPage(),
  );

  route(
    app,
    {
      method: "get",
      path: "/dashboard/traces/{trace_id}",
      tags: ["dashboard"],
      summary: "One trace as a waterfall (HTML); its data comes from GET /traces/:trace_id (admin)",
      request: { params: z.object({ trace_id: z.string().regex(TRACE_ID) }) },
      responses: { 200: html, ...problems(400, 401) },
    },
    (c) => {
      const traceId = (c.req.param("trace_id") ?? "").toLowerCase();
      if (!TRACE_ID.test(traceId)) throw new SwitchboardError("invalid_request", "trace_id must be 32 hex characters (the middle of a traceparent)");
      return tracePage(traceId);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/dashboard/agents/{name}",
      tags: ["dashboard"],
      summary: "One agent's page (HTML): charts, outcomes, breaker timeline, messages, dead letters; its data comes from the agent's JSON routes",
      request: { params: z.object({ name: AgentName }) },
      responses: { 200: html, ...problems(400, 401) },
    },
    (c) => agentPage(agentParam(c)),
  );
}

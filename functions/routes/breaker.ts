/** GET /agents/:name/breaker and POST /agents/:name/breaker/reset (admin). */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { problems, route } from "../http/route";
import { agentParam } from "../http/validate";

const BreakerView = z
  .object({
    state: z.enum(["closed", "open", "half_open"]),
    failures: z.number(),
    opened_at: z.string().nullable(),
    next_probe_at: z.string().nullable(),
    transitions: z
      .array(z.object({ at: z.string(), state: z.enum(["closed", "open", "half_open"]) }))
      .openapi({ description: "the newest 20 state changes, oldest first" }),
  })
  .openapi("Breaker");
const params = z.object({ name: AgentName });
const ok = { 200: { description: "breaker state", content: { "application/json": { schema: BreakerView } } } };

export function breakerRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/breaker",
      tags: ["resilience"],
      summary: "Circuit breaker state",
      request: { params },
      responses: { ...ok, ...problems(400, 401, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const state = await agentRef(c.env, name).client.breakerState();
      if (!state) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json(state);
    },
  );
  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/breaker/reset",
      tags: ["resilience"],
      summary: "Close the breaker (admin)",
      request: { params },
      responses: { ...ok, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      requireAdmin(c.var.principal);
      const name = agentParam(c);
      const state = await agentRef(c.env, name).client.resetBreaker();
      if (!state) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json(state);
    },
  );
}

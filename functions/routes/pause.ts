/**
 * POST /agents/:name/pause and /resume (admin): hold every async delivery of an agent, and release
 * them in order. Held messages are accepted and kept `pending`; the agent's schedules wait too.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import type { AppEnv } from "../http/app-env";
import { requireAdmin } from "../http/auth";
import { problems, route } from "../http/route";
import { agentParam } from "../http/validate";

const Paused = z.object({ agent: z.string(), paused: z.boolean(), held: z.number() }).openapi("Paused");

export function pauseRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const action of ["pause", "resume"] as const) {
    route(
      app,
      {
        method: "post",
        path: `/agents/{name}/${action}`,
        tags: ["time and flow"],
        summary:
          action === "pause"
            ? "Hold every async delivery of the agent (admin): accepted and kept pending"
            : "Release the agent's held deliveries in the order they were held (admin)",
        request: { params: z.object({ name: AgentName }) },
        responses: {
          200: { description: "whether the agent is paused, and how many messages are held", content: { "application/json": { schema: Paused } } },
          ...problems(400, 401, 403, 404),
        },
      },
      async (c) => {
        requireAdmin(c.var.principal);
        const name = agentParam(c);
        const state = await agentRef(c.env, name).setPaused(action === "pause");
        if (!state) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
        return c.json({ agent: name, ...state });
      },
    );
  }
}

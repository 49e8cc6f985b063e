/**
 * Observers and events: `POST/GET /agents/:name/observers`, `DELETE /agents/:name/observers/:id`,
 * `POST /agents/:name/events`. Who may do what: admin, or the observed agent's own key, attaches,
 * lists, detaches and emits; an agent observer must exist and its ACL must accept messages from the
 * observed agent; a URL observer must pass the SSRF guard.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { EventBody, ObserverTarget } from "../../lib/patterns/observer";
import { mayCall } from "../../lib/security/acl";
import type { Principal } from "../../lib/security/keys";
import { checkOutboundUrl } from "../../lib/security/ssrf";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { json, problems, route } from "../http/route";
import { agentParam, jsonBody } from "../http/validate";

const NameParam = z.object({ name: AgentName });
const ObserverOut = z
  .object({ id: z.string(), agent: z.string(), observer: z.string().optional(), url: z.string().optional(), created_at: z.string() })
  .openapi("Observer");

function requireSelfOrAdmin(principal: Principal, name: string, what: string): void {
  if (principal.kind !== "admin" && principal.agent !== name) throw new SwitchboardError("forbidden", `only admin or ${name} itself may ${what}`);
}

export function observerRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/observers",
      tags: ["patterns"],
      summary: "Attach an agent or URL observer (idempotent: 201 new, 200 already attached)",
      request: { params: NameParam, body: { required: true, ...json(ObserverTarget) } },
      responses: {
        200: { description: "already attached", ...json(ObserverOut) },
        201: { description: "attached", ...json(ObserverOut) },
        ...problems(400, 401, 403, 404),
      },
    },
    async (c) => {
      const name = agentParam(c);
      requireSelfOrAdmin(c.var.principal, name, "attach observers");
      const target = await jsonBody(c, ObserverTarget);
      if ("url" in target) {
        const check = checkOutboundUrl(target.url, { dev: c.env.SWITCHBOARD_DEV === "1" });
        if (!check.ok) throw new SwitchboardError("invalid_request", `url: ${check.reason}`);
      } else {
        if (target.observer === name) throw new SwitchboardError("invalid_request", "observer: an agent cannot observe itself");
        const described = await agentRef(c.env, target.observer).client.describe();
        if (!described) throw new SwitchboardError("agent_not_found", `no agent named ${target.observer} to observe ${name}`);
        if (!mayCall(name, described.entry)) throw new SwitchboardError("forbidden", `${target.observer}'s acl does not accept messages from ${name}`);
      }
      const result = await agentRef(c.env, name).attachObserver(target);
      if (!result.ok) return failureResponse(result);
      return c.json({ ...result.observer, agent: name }, result.created ? 201 : 200);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/observers",
      tags: ["patterns"],
      summary: "List an agent's observers",
      request: { params: NameParam },
      responses: {
        200: { description: "observers", ...json(z.object({ agent: z.string(), observers: z.array(ObserverOut) })) },
        ...problems(400, 401, 403, 404),
      },
    },
    async (c) => {
      const name = agentParam(c);
      requireSelfOrAdmin(c.var.principal, name, "list observers");
      const observers = await agentRef(c.env, name).client.listObservers();
      if (!observers) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json({ agent: name, observers: observers.map((o) => ({ ...o, agent: name })) });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/agents/{name}/observers/{id}",
      tags: ["patterns"],
      summary: "Detach an observer",
      request: { params: NameParam.extend({ id: z.string() }) },
      responses: { 204: { description: "detached" }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      requireSelfOrAdmin(c.var.principal, name, "detach observers");
      const id = c.req.param("id") ?? "";
      if (!(await agentRef(c.env, name).detachObserver(id.slice(0, 128)))) {
        throw new SwitchboardError("not_found", `${name} has no observer ${id.slice(0, 80)}`);
      }
      return c.body(null, 204);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/events",
      tags: ["patterns"],
      summary: "Emit an event to every observer (fire and forget: 202 once enqueued)",
      request: { params: NameParam, body: { required: true, ...json(EventBody) } },
      responses: {
        202: { description: "fanned out", ...json(z.object({ event_id: z.string(), observers: z.number().int() })) },
        ...problems(400, 401, 403, 404, 413),
      },
    },
    async (c) => {
      const name = agentParam(c);
      requireSelfOrAdmin(c.var.principal, name, "emit its events");
      const body = await jsonBody(c, EventBody);
      const result = await agentRef(c.env, name).emit(body.event, body.data ?? null, c.var.traceparent);
      if (!result.ok) return failureResponse(result);
      return c.json({ event_id: result.event_id, observers: result.observers }, 202);
    },
  );
}

/**
 * Recurring schedules of an agent: POST/GET /agents/:name/schedules, GET/DELETE
 * /agents/:name/schedules/:id, and pause/resume of one. Each firing is an async message to the
 * agent from the schedule's creator, so the keys that may create one are the ones the agent's ACL
 * lets send it messages; admin and the agent itself see and manage every schedule of the agent.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { senderOf } from "../../lib/security/keys";
import { ScheduleBody, ScheduleView } from "../../lib/time/schedule";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { checkReplyTo } from "../http/reply-to";
import { json, problems, route } from "../http/route";
import { agentParam, jsonBody } from "../http/validate";

const NameParam = z.object({ name: AgentName });
const ScheduleParams = z.object({ name: AgentName, id: z.string() });
const One = { 200: { description: "the schedule", ...json(ScheduleView) }, ...problems(400, 401, 403, 404) };

export function scheduleRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/agents/{name}/schedules",
      tags: ["time and flow"],
      summary: "Send a message to the agent on a cron (UTC or a time zone) or every_ms; each firing is an async message",
      request: { params: NameParam, body: { required: true, ...json(ScheduleBody) } },
      responses: { 201: { description: "the schedule, with next_at", ...json(ScheduleView) }, ...problems(400, 401, 403, 404, 409) },
    },
    async (c) => {
      const name = agentParam(c);
      const body = await jsonBody(c, ScheduleBody);
      if (body.reply_to !== undefined) await checkReplyTo(c.env, body.reply_to, senderOf(c.var.principal));
      const result = await agentRef(c.env, name).client.createSchedule(body, senderOf(c.var.principal));
      return result.ok ? c.json(result.schedule, 201, { location: `/agents/${name}/schedules/${result.schedule.id}` }) : failureResponse(result);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/schedules",
      tags: ["time and flow"],
      summary: "The agent's schedules with their next firing (a sender that is not the agent sees its own)",
      request: { params: NameParam },
      responses: { 200: { description: "schedules", ...json(z.object({ schedules: z.array(ScheduleView) })) }, ...problems(400, 401, 404) },
    },
    async (c) => {
      const name = agentParam(c);
      const schedules = await agentRef(c.env, name).client.listSchedules(senderOf(c.var.principal));
      if (!schedules) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      return c.json({ agent: name, schedules });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/agents/{name}/schedules/{id}",
      tags: ["time and flow"],
      summary: "One schedule",
      request: { params: ScheduleParams },
      responses: One,
    },
    async (c) => {
      const { name, id, viewer } = params(c);
      const result = await agentRef(c.env, name).client.getSchedule(id, viewer);
      return result.ok ? c.json(result.schedule) : failureResponse(result);
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/agents/{name}/schedules/{id}",
      tags: ["time and flow"],
      summary: "Delete a schedule; firings already sent are ordinary messages and stay",
      request: { params: ScheduleParams },
      responses: { 204: { description: "deleted" }, ...problems(400, 401, 403, 404) },
    },
    async (c) => {
      const { name, id, viewer } = params(c);
      const result = await agentRef(c.env, name).client.deleteSchedule(id, viewer);
      return result.ok ? c.body(null, 204) : failureResponse(result);
    },
  );

  for (const action of ["pause", "resume"] as const) {
    route(
      app,
      {
        method: "post",
        path: `/agents/{name}/schedules/{id}/${action}`,
        tags: ["time and flow"],
        summary: action === "pause" ? "Stop a schedule firing until it is resumed" : "Resume a schedule; what it missed follows its catch_up",
        request: { params: ScheduleParams },
        responses: One,
      },
      async (c) => {
        const { name, id, viewer } = params(c);
        const result = await agentRef(c.env, name).client.pauseSchedule(id, viewer, action === "pause");
        return result.ok ? c.json(result.schedule) : failureResponse(result);
      },
    );
  }
}

function params(c: Context<AppEnv>): { name: string; id: string; viewer: string | null } {
  return { name: agentParam(c), id: c.req.param("id") ?? "", viewer: senderOf(c.var.principal) };
}

/**
 * Inbound webhooks: POST /webhooks/:name[?source=github|stripe]. No Bearer key: the signature is
 * the authentication (functions/http/auth.ts lets these paths through). The raw body is read
 * within the size limit and handed, with only the signature headers, to the agent's Durable
 * Object, which holds the secrets, the replay table and the delivery.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { agentRef } from "../../lib/agents/agent-ref";
import { AgentName } from "../../lib/message/envelope";
import { SwitchboardError } from "../../lib/message/errors";
import { readTextBody } from "../../lib/message/json-body";
import { WEBHOOK_HEADERS } from "../../lib/protocols/inbound-webhook";
import { WEBHOOK_SOURCES } from "../../lib/security/webhook-verify";
import { isKnownAgent } from "../../lib/registry/known-agents";
import { codeAgentsOf } from "../agents";
import type { AppEnv } from "../http/app-env";
import { failureResponse } from "../http/problem";
import { problems, route } from "../http/route";
import { agentParam, maxBodyBytes } from "../http/validate";

const Source = z.enum(WEBHOOK_SOURCES);

export function webhookRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/webhooks/{name}",
      tags: ["messaging"],
      summary: "Inbound webhook, authenticated by its signature (Standard Webhooks, GitHub or Stripe)",
      description:
        "No Bearer key. Verified only with the agent's inbound secret for the source: webhook_secrets.standard (Standard Webhooks), .github or .stripe; outbound signing secrets never verify anything inbound. No secret for the source, a bad signature or a stale (> 5 min) timestamp → 401; a delivery already accepted by this or any other agent → 409.",
      security: [],
      request: {
        params: z.object({ name: AgentName }),
        query: z.object({ source: Source.optional() }),
        body: { required: true, content: { "application/json": { schema: z.unknown() } } },
      },
      responses: {
        202: {
          description: "accepted for delivery",
          content: { "application/json": { schema: z.object({ request_id: z.string(), webhook_id: z.string() }) } },
        },
        ...problems(400, 401, 404, 409, 413, 429),
      },
    },
    async (c) => {
      const name = agentParam(c);
      // The zod enum, not an object lookup: `?source=__proto__` must be a 400, not a prototype.
      const parsed = Source.safeParse(c.req.query("source") ?? "standard");
      if (!parsed.success) throw new SwitchboardError("invalid_request", `query source must be ${WEBHOOK_SOURCES.join(", ")}`);
      const source = parsed.data;
      const body = await readTextBody(c.req.raw, maxBodyBytes(c.env));
      const headers: Record<string, string> = {};
      for (const header of WEBHOOK_HEADERS) {
        const value = c.req.header(header);
        if (value !== undefined) headers[header] = value.slice(0, 4096);
      }
      // No key: an unknown name must not make (and so persist) an object by asking it.
      if (!(await isKnownAgent(c.env, codeAgentsOf(c.env), name))) throw new SwitchboardError("agent_not_found", `no agent named ${name}`);
      const result = await agentRef(c.env, name).client.receiveWebhook({ source, body, headers, traceparent: c.var.traceparent });
      if (!result.ok) return failureResponse(result);
      return c.json({ request_id: result.request_id, webhook_id: result.webhook_id }, 202);
    },
  );
}

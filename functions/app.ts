/**
 * The Hono app: middleware (CORS, trace, auth, rate limit), then each group of routes from its own file.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { childTraceparent } from "../lib/message/trace";
import { addAnswerHeader } from "./http/answer-headers";
import type { AppEnv } from "./http/app-env";
import { authMiddleware } from "./http/auth";
import { corsMiddleware } from "./http/cors";
import { onError, problemResponse } from "./http/problem";
import { rateLimitMiddleware } from "./http/rate-limit";
import { a2aRoutes } from "./routes/a2a";
import { agentRoutes } from "./routes/agents";
import { breakerRoutes } from "./routes/breaker";
import { dashboardRoutes } from "./routes/dashboard";
import { dlqRoutes } from "./routes/dlq";
import { healthRoutes } from "./routes/health";
import { mcpRoutes } from "./routes/mcp";
import { messageRoutes } from "./routes/messages";
import { inputRoutes } from "./routes/input";
import { webhookRoutes } from "./routes/webhooks";
import { observabilityRoutes } from "./routes/observability";
import { observerRoutes } from "./routes/observers";
import { openApiRoutes } from "./routes/openapi";
import { patternRoutes } from "./routes/patterns";
import { pauseRoutes } from "./routes/pause";
import { scheduleRoutes } from "./routes/schedules";
import { streamRoutes } from "./routes/streams";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // First: a preflight carries no key, so it is answered before authentication (functions/http/cors.ts).
  app.use("*", corsMiddleware);
  app.use("*", async (c, next) => {
    // Accept the caller's W3C traceparent (or start a trace) and echo it so clients can find the flow.
    const traceparent = childTraceparent(c.req.header("traceparent"));
    c.set("traceparent", traceparent);
    await next();
    addAnswerHeader(c, "traceparent", traceparent);
  });
  app.use("*", authMiddleware);
  app.use("*", rateLimitMiddleware);
  healthRoutes(app);
  agentRoutes(app);
  observabilityRoutes(app);
  dashboardRoutes(app);
  openApiRoutes(app);
  messageRoutes(app);
  streamRoutes(app);
  inputRoutes(app);
  breakerRoutes(app);
  dlqRoutes(app);
  webhookRoutes(app);
  a2aRoutes(app);
  mcpRoutes(app);
  patternRoutes(app);
  observerRoutes(app);
  scheduleRoutes(app);
  pauseRoutes(app);
  app.notFound((c) => problemResponse("not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError(onError);
  return app;
}

export const app = createApp();

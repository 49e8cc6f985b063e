/**
 * Worker entry: HTTP through the Hono app, queues through their consumers, and the Durable
 * Object classes wrangler.toml binds. The agent object is built here from the deployment's code
 * agents, so durable-objects/ never imports functions/.
 */
import { agentObject } from "../durable-objects/agent-do";
import { codeAgents } from "./agents";
import { app } from "./app";
import { queue } from "./queue";

export { DeadLetterDO } from "../durable-objects/dead-letter-do";
export { MetricsDO } from "../durable-objects/metrics-do";
export { DirectoryDO } from "../durable-objects/directory-do";
export { McpSessionDO } from "../durable-objects/mcp-session-do";
export { TraceDO } from "../durable-objects/trace-do";
export { WebhookReplayDO } from "../durable-objects/webhook-replay-do";

export class AgentDO extends agentObject(codeAgents) {}

export default {
  fetch: app.fetch,
  queue,
} satisfies ExportedHandler<Env>;

/**
 * Worker entry: HTTP through the Hono app, queues through their consumers, and the Durable
 * Object classes wrangler.toml binds.
 */
import { app } from "./app";
import { queue } from "./queue";

export { AgentDO } from "../durable-objects/agent-do";
export { DeadLetterDO } from "../durable-objects/dead-letter-do";
export { DirectoryDO } from "../durable-objects/directory-do";
export { TraceDO } from "../durable-objects/trace-do";

export default {
  fetch: app.fetch,
  queue,
} satisfies ExportedHandler<Env>;

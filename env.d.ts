// Settings that `wrangler types` cannot know about: SWITCHBOARD_DEV is never in the deployed
// config, the TEST_ ports, RATE_LIMITER_STRICT and FUZZ_SEED exist only under vitest.
interface SwitchboardOptionalEnv {
  /** "1" in local development only: allows http:// and loopback URLs. */
  SWITCHBOARD_DEV?: string;
  /** "off" disables the per-principal rate limit (functions/http/rate-limit.ts). */
  SWITCHBOARD_RATE_LIMIT?: string;
  /** Requests per key an isolate admits between rate-limit binding checks (default 32; 1 = every request). */
  SWITCHBOARD_RATE_LIMIT_BATCH?: string;
  /** Largest answer read from a remote agent, A2A agent or model provider, in bytes (default 1048576). */
  SWITCHBOARD_MAX_REPLY_BYTES?: string;
  /** Milliseconds a pending async request waits for its queue message before it is enqueued again (default 120000). */
  SWITCHBOARD_DELIVERY_LEASE_MS?: string;
  /** "off" disables metrics, JSON log lines and the trace index (default on). */
  SWITCHBOARD_OBSERVABILITY?: string;
  /** "off" disables only the one-line-per-message JSON logs (default on). */
  SWITCHBOARD_JSON_LOGS?: string;
  /** How long a streaming invoke whose client disconnected runs on, waiting for it to reconnect (default 10000 ms). */
  SWITCHBOARD_STREAM_GRACE_MS?: string;
  /** Browser origins that may call the API, comma-separated: exact (`https://app.example.com`) or `https://*.example.com`. Empty (the default): none (functions/http/cors.ts). */
  SWITCHBOARD_CORS_ORIGINS?: string;
  /** The agent whose A2A card the host serves at /.well-known/agent-card.json (default: a directory card naming every agent). */
  SWITCHBOARD_A2A_AGENT?: string;
  /** Ms from a change of an agent's counters to their push to its metrics aggregate (default 10000). */
  SWITCHBOARD_METRICS_FLUSH_MS?: string;
  /** How many agents GET /metrics lists one by one (default 256; the deployment-wide series cover every agent). */
  SWITCHBOARD_METRICS_AGENT_SERIES?: string;
  /** Port of the loopback test server (tests only). */
  TEST_SERVER_PORT?: string;
  /** Port of the loopback model server (tests only, test/support/model-server.ts). */
  MODEL_SERVER_PORT?: string;
  /** Port of the loopback A2A agent (tests only). */
  A2A_SERVER_PORT?: string;
  /** Port of the loopback MCP server (tests only, test/support/mcp-server.ts). */
  MCP_SERVER_PORT?: string;
  /** A limiter of 3 per 60 s (tests only, vitest.config.ts; test/workers/rate-limit.test.ts). */
  RATE_LIMITER_STRICT?: RateLimit;
  /** The seed test/workers/fuzz.test.ts reproduces a failure with (tests only). */
  FUZZ_SEED?: string;
}
interface Env extends SwitchboardOptionalEnv {}
declare namespace Cloudflare {
  interface Env extends SwitchboardOptionalEnv {}
}

import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

/** Keys the workerd tests authenticate with (see test/support/keys.ts). */
const TEST_BINDINGS = {
  SWITCHBOARD_DEV: "1",
  SWITCHBOARD_API_KEYS: "admin=sk_test_admin,agent:planner=sk_test_planner,agent:summarizer=sk_test_summarizer,agent:outsider=sk_test_outsider",
  SWITCHBOARD_SIGNING_SECRET: "whsec_dGVzdC1zaWduaW5nLXNlY3JldC1mb3Itc3dpdGNoYm9hcmQ=",
  /** Every message's JSON line, so tests can check them (the default logs failures only). */
  SWITCHBOARD_JSON_LOGS: "all",
  /** A streaming client that disconnects gets 3 s to reconnect before its call is cancelled (the default is 10 s). */
  SWITCHBOARD_STREAM_GRACE_MS: "3000",
  /** Agents push their counters to the metrics aggregates 200 ms after a change (default 10 s), so /metrics catches up quickly. */
  SWITCHBOARD_METRICS_FLUSH_MS: "200",
  /** The API key model agents in tests read through `model.api_key_secret`. */
  TEST_MODEL_API_KEY: "sk-model-test",
  /** The header an MCP agent in tests sends through `headers_secret` (test/support/mcp-server.ts). */
  TEST_MCP_AUTH: "Bearer mcp-test-secret",
};

/**
 * wrangler.toml declares `[secrets] required`, and the plugin reads that config for every test
 * file's runtime: finding neither a .dev.vars nor the secrets in the environment, wrangler warned
 * "Missing required secrets" once per file, dozens of times a run, about values the tests bind
 * below anyway. With the same values in this process's environment it finds them. The `wrangler
 * dev` processes e2e tests start do not inherit them (test/support/wrangler-dev.ts).
 */
process.env.SWITCHBOARD_API_KEYS = TEST_BINDINGS.SWITCHBOARD_API_KEYS;
process.env.SWITCHBOARD_SIGNING_SECRET = TEST_BINDINGS.SWITCHBOARD_SIGNING_SECRET;

/**
 * wrangler.toml's queue consumers as they are (batch size, retries, dead-letter queues), except
 * that a batch goes as soon as a message is there. Deployed, a consumer waits up to
 * `max_batch_timeout` (1 s) for its batch to fill: in tests that is only a second's wait at every
 * queue hop (a `ctx.request` makes two), and the queue-heavy files spent half their time in it.
 */
interface WranglerConsumer {
  queue: string;
  max_batch_size?: number;
  max_retries?: number;
  dead_letter_queue?: string;
}

const queueConsumers = Object.fromEntries(
  ((unstable_readConfig({ config: "./wrangler.toml" }).queues.consumers ?? []) as WranglerConsumer[]).map((consumer) => [
    consumer.queue,
    {
      maxBatchTimeout: 0,
      ...(consumer.max_batch_size !== undefined ? { maxBatchSize: consumer.max_batch_size } : {}),
      ...(consumer.max_retries !== undefined ? { maxRetries: consumer.max_retries } : {}),
      ...(consumer.dead_letter_queue ? { deadLetterQueue: consumer.dead_letter_queue } : {}),
    },
  ]),
);

/**
 * The workerd runtime every workers-pool test runs in: wrangler.toml's real DO, Queue and alarm
 * bindings, plus the test keys and the loopback servers' ports.
 */
const workerd = () =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        ...TEST_BINDINGS,
        TEST_SERVER_PORT: String(inject<number>("testServerPort")),
        MODEL_SERVER_PORT: String(inject<number>("modelServerPort")),
        A2A_SERVER_PORT: String(inject<number>("a2aServerPort")),
        MCP_SERVER_PORT: String(inject<number>("mcpServerPort")),
        // Reproduce a fuzz failure: FUZZ_SEED=<seed> npx vitest run … test/workers/fuzz.test.ts
        ...(process.env.FUZZ_SEED ? { FUZZ_SEED: process.env.FUZZ_SEED } : {}),
      },
      queueConsumers,
      // A queue with no consumer, for lib/patterns/fanout.test.ts: what is sent there stays there.
      queueProducers: { TEST_SINK_QUEUE: { queueName: "switchboard-test-sink" } },
      // A strict limiter for test/workers/rate-limit.test.ts; the app's own RATE_LIMITER is generous.
      ratelimits: { RATE_LIMITER_STRICT: { namespace_id: "9001", simple: { limit: 3, period: 60 } } },
    },
  }));

export default defineConfig({
  test: {
    // One JSON line per message is for Workers Logs, not for test output.
    onConsoleLog: (log) => !log.startsWith('{"level":"info","msg":"message"'),
    projects: [
      {
        // Integration tests inside workerd: each file in a fresh runtime, so no file sees another's
        // objects, queues or per-isolate caches (several assert on what a fresh store holds).
        plugins: [workerd()],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // Unit tests beside their file, also in workerd. They share one runtime (isolate: false):
        // each is pure or works in an object named for it alone, so nothing one leaves behind is
        // seen by another, and the runtime is started once instead of once per file.
        plugins: [workerd()],
        test: {
          name: "units",
          include: ["lib/**/*.test.ts", "functions/**/*.test.ts", "durable-objects/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 30_000,
          isolate: false,
        },
      },
      {
        // End-to-end: a real `wrangler dev` driven over HTTP, as a user would.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

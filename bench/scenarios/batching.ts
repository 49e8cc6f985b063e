/**
 * Scenario 4 (issue 7): batching on a slow model. The loopback model server (issue 7's
 * test/support/model-server.ts, speaking OpenAI chat completions) takes 100 ms per call and serves
 * one call at a time, like a single-GPU server. The same messages go to an openai-compatible model
 * agent with `batch` and to one without; the unbatched agent is the same-run baseline. Targets:
 * batched throughput ≥ 8× unbatched, and model calls = ⌈N / size⌉ plus any timeout flushes.
 * Every caller must get its own item's answer. Skips while model agents or `batch` are refused.
 */
import { startModelServer } from "../../test/support/model-server.ts";
import { type Client, must } from "../support/client.ts";
import { msgs } from "../support/report.ts";
import { type Check, notYet, type Scenario, statusOf } from "../support/scenario.ts";
import { ratio, round } from "../support/stats.ts";

const SIZE = 10;
/** Callers in flight: two batches' worth, so one batch fills while the previous is with the model. */
const CONCURRENCY = 2 * SIZE;
const MODEL_MS = 100;

interface BatchTag {
  id: string;
  size: number;
  trigger: string;
}

interface RunFigures {
  seconds: number;
  rate: number;
  wrong: number;
  failed: number;
  batches: Map<string, BatchTag>;
}

export const batching: Scenario = {
  id: "batching",
  title: `model agent with batch.size ${SIZE} vs unbatched, on a serial ${MODEL_MS} ms model server`,
  async run(ctx) {
    const { server, port } = await startModelServer();
    try {
      const agent = (key: string, batch: boolean) => ({
        model: { provider: "openai-compatible", base_url: `http://127.0.0.1:${port}/m/${key}/serial/delay-${MODEL_MS}`, model: "bench" },
        limits: { max_concurrency: CONCURRENCY },
        ...(batch ? { batch: { size: SIZE, timeout_ms: 1000 } } : {}),
      });
      const put = await ctx.sb.request("PUT", "/agents/bench-batched", agent("batched", true));
      if (put.status === 400) return notYet(`model agents with batch are refused: ${JSON.stringify(put.body?.detail ?? put.body)}`);
      must(put, 200, "register bench-batched");
      must(await ctx.sb.request("PUT", "/agents/bench-unbatched", agent("unbatched", false)), 200, "register bench-unbatched");

      const n = ctx.quick ? 60 : 200;
      const batched = await drive(ctx.sb, "bench-batched", n);
      const unbatched = await drive(ctx.sb, "bench-unbatched", n);
      const calls = async (key: string) => (await (await fetch(`http://127.0.0.1:${port}/_stats/${key}`)).json()) as { calls: number; max_concurrent: number };
      const batchedCalls = await calls("batched");
      const unbatchedCalls = await calls("unbatched");

      const tags = [...batched.batches.values()];
      const timeoutFlushes = tags.filter((t) => t.trigger === "timeout").length;
      const ideal = Math.ceil(n / SIZE);
      const callsOk = batchedCalls.calls === batched.batches.size && batchedCalls.calls <= ideal + timeoutFlushes && unbatchedCalls.calls === n;
      const checks: Check[] = [
        {
          measure: "throughput",
          subject: msgs(batched.rate),
          baseline: msgs(unbatched.rate),
          ratio: ratio(batched.rate, unbatched.rate),
          target: "≥ 8×",
          pass: batched.rate >= 8 * unbatched.rate,
        },
        {
          measure: `model calls for ${n} messages`,
          subject: `${batchedCalls.calls} (${timeoutFlushes} timeout flushes)`,
          baseline: `${unbatchedCalls.calls} unbatched`,
          ratio: null,
          target: `= ⌈${n}/${SIZE}⌉ = ${ideal} (+ timeout flushes)`,
          pass: callsOk,
        },
        {
          measure: "replies to the wrong caller or failed",
          subject: String(batched.wrong + batched.failed),
          baseline: String(unbatched.wrong + unbatched.failed),
          ratio: null,
          target: "= 0",
          pass: batched.wrong + batched.failed + unbatched.wrong + unbatched.failed === 0,
        },
      ];
      return {
        status: statusOf(checks),
        checks,
        figures: {
          messages: n,
          batch_size: SIZE,
          concurrency: CONCURRENCY,
          model_ms: MODEL_MS,
          batched: {
            seconds: batched.seconds,
            msg_s: round(batched.rate, 1),
            model_calls: batchedCalls.calls,
            batches: batched.batches.size,
            timeout_flushes: timeoutFlushes,
          },
          unbatched: {
            seconds: unbatched.seconds,
            msg_s: round(unbatched.rate, 1),
            model_calls: unbatchedCalls.calls,
            max_concurrent_at_model: unbatchedCalls.max_concurrent,
          },
          batch_sizes: tags.map((t) => t.size),
        },
      };
    } finally {
      server.closeAllConnections();
      server.close();
    }
  },
};

/** Sends `n` sync invokes at CONCURRENCY; checks each reply is its own item's answer. */
async function drive(sb: Client, agent: string, n: number): Promise<RunFigures> {
  const batches = new Map<string, BatchTag>();
  let next = 0;
  let wrong = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const input = `message ${next++}`;
        const answer = await sb.request("POST", `/agents/${agent}/invoke`, { content: input });
        if (answer.status !== 200) {
          failed++;
          continue;
        }
        if (answer.body.content !== `remote:${input}`) wrong++;
        const tag = answer.body.metadata?.batch as BatchTag | undefined;
        if (tag) batches.set(tag.id, tag);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { seconds: round(seconds, 3), rate: n / seconds, wrong, failed, batches };
}

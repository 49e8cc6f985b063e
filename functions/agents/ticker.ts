import { defineAgent } from "../../lib/agents/define-agent";

/** How many ticks at most, and the longest pause between two. */
const MAX_TICKS = 100;
const MAX_EVERY_MS = 5_000;

/**
 * A slow producer: answers with an async iterable, one `tick <i>` chunk every `every_ms`, so a
 * caller that streams sees each as it comes and one that waits gets them joined. It stops at its
 * signal — the caller cancelled, or its deadline passed — which makes it the long call to cancel in
 * the README tour. Content: `{ "count": 5, "every_ms": 200 }` (the defaults).
 */
export const ticker = defineAgent({
  name: "ticker",
  description: "Streams `tick 1 … tick <count>`, one chunk every every_ms (an async iterable); content { count?, every_ms? }.",
  version: "1.0.0",
  capabilities: ["stream"],
  handle(message, ctx) {
    const input = (typeof message.content === "object" && message.content !== null ? message.content : {}) as { count?: unknown; every_ms?: unknown };
    const count = Math.min(MAX_TICKS, Math.max(1, Math.trunc(Number(input.count ?? 5)) || 1));
    const everyMs = Math.min(MAX_EVERY_MS, Math.max(0, Math.trunc(Number(input.every_ms ?? 200)) || 0));
    return ticks(count, everyMs, ctx.signal);
  },
});

async function* ticks(count: number, everyMs: number, signal: AbortSignal): AsyncGenerator<string> {
  for (let i = 1; i <= count; i++) {
    if (i > 1) await pause(everyMs, signal);
    signal.throwIfAborted();
    yield i < count ? `tick ${i} ` : `tick ${i}`;
  }
}

/** A pause that ends early when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

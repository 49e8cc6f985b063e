/**
 * The bare baseline worker (bench/baseline/wrangler.toml). Each route does the minimum the
 * matching Switchboard path must also do, and nothing else: no auth, no validation, no storage,
 * no logging. Ratios against it show what Switchboard's features cost.
 *
 *   POST /echo          Hono route → one Durable Object RPC → JSON answer    (sync invoke)
 *   POST /queue/send    one message on the queue; the consumer POSTs it       (async delivery)
 *   POST /queue/fanout  `n` messages in one sendBatch; each POSTed on its own (observer fan-out)
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

interface BaselineEnv {
  ECHO: DurableObjectNamespace<EchoDO>;
  QUEUE: Queue<Delivery>;
}

/** A message for the consumer: POST `body` to `url`, as Switchboard POSTs to a URL observer or agent. */
interface Delivery {
  url: string;
  body: unknown;
}

export class EchoDO extends DurableObject<BaselineEnv> {
  echo(content: unknown): { content: unknown } {
    return { content };
  }
}

const app = new Hono<{ Bindings: BaselineEnv }>();

app.get("/health", (c) => c.json({ ok: true }));

app.post("/echo", async (c) => {
  const body = await c.req.json<{ content: unknown }>();
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("echo"));
  return c.json(await stub.echo(body.content));
});

app.post("/queue/send", async (c) => {
  const delivery = await c.req.json<Delivery>();
  await c.env.QUEUE.send(delivery);
  return c.json({ queued: 1 }, 202);
});

app.post("/queue/fanout", async (c) => {
  const { url, n } = await c.req.json<{ url: string; n: number }>();
  // sendBatch takes at most 100 messages per call.
  for (let start = 0; start < n; start += 100) {
    const size = Math.min(100, n - start);
    await c.env.QUEUE.sendBatch(Array.from({ length: size }, (_, i) => ({ body: { url: `${url}/${start + i}`, body: { i: start + i } } })));
  }
  return c.json({ queued: n }, 202);
});

async function consume(batch: MessageBatch<Delivery>): Promise<void> {
  // Concurrently and acked one by one, as Switchboard's consumers do.
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const res = await fetch(message.body.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(message.body.body),
        });
        await res.body?.cancel();
        if (res.ok) message.ack();
        else message.retry();
      } catch {
        message.retry();
      }
    }),
  );
}

export default {
  fetch: app.fetch,
  queue: consume,
} satisfies ExportedHandler<BaselineEnv, Delivery>;

/**
 * The bare baseline worker (bench/baseline/wrangler.toml). Each route does the minimum the
 * matching Switchboard path must also do, and nothing else: no auth, no validation, no storage,
 * no logging. Ratios against it show what Switchboard's features cost.
 *
 *   POST /echo          Hono route → one Durable Object RPC → JSON answer    (sync invoke)
 *   POST /echo-logged   the same, plus one SQLite row per call in the object  (what a log write costs)
 *   POST /queue/send    one message on the queue; the consumer POSTs it       (async delivery)
 *   POST /queue/stored  the same, stored first: one SQLite row in an object, which enqueues it
 *                       before the 202, and the consumer marks its batch's rows delivered in one
 *                       call before it acks (what async delivery's guarantee costs at the least)
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
  /** The row of a stored message (`/queue/stored`), marked delivered once it is. */
  stored?: number;
}

export class EchoDO extends DurableObject<BaselineEnv> {
  private writes = 0;

  constructor(ctx: DurableObjectState, env: BaselineEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, preview TEXT)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, body TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)");
  }

  /** The row first, then the queue message (the output gate holds it until the row is durable). */
  async store(delivery: Delivery): Promise<number> {
    const id = Number(this.ctx.storage.sql.exec("INSERT INTO requests (body) VALUES (?) RETURNING id", JSON.stringify(delivery)).one().id);
    await this.env.QUEUE.send({ ...delivery, stored: id });
    return id;
  }

  /** A batch's stored messages got through: durable before their messages are acked. */
  delivered(ids: number[]): void {
    for (const id of ids) this.ctx.storage.sql.exec("UPDATE requests SET delivered = 1 WHERE id = ?", id);
  }

  echo(content: unknown): { content: unknown } {
    return { content };
  }

  /** The echo plus the one durable write Switchboard's message log makes per call, bounded the same way. */
  echoLogged(content: unknown): { content: unknown } {
    this.ctx.storage.sql.exec("INSERT INTO log (at, preview) VALUES (?, ?)", new Date().toISOString(), JSON.stringify(content).slice(0, 200));
    if (++this.writes % 50 === 0) this.ctx.storage.sql.exec("DELETE FROM log WHERE seq <= (SELECT MAX(seq) FROM log) - 1000");
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

app.post("/echo-logged", async (c) => {
  const body = await c.req.json<{ content: unknown }>();
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("echo"));
  return c.json(await stub.echoLogged(body.content));
});

app.post("/queue/send", async (c) => {
  const delivery = await c.req.json<Delivery>();
  await c.env.QUEUE.send(delivery);
  return c.json({ queued: 1 }, 202);
});

app.post("/queue/stored", async (c) => {
  const delivery = await c.req.json<Delivery>();
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("stored"));
  await stub.store(delivery);
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

async function consume(batch: MessageBatch<Delivery>, env: BaselineEnv): Promise<void> {
  // Concurrently and acked one by one, as Switchboard's consumers do; stored ones once their rows say so.
  const stored: Array<Message<Delivery>> = [];
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const res = await fetch(message.body.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(message.body.body),
        });
        await res.body?.cancel();
        if (!res.ok) message.retry();
        else if (message.body.stored === undefined) message.ack();
        else stored.push(message);
      } catch {
        message.retry();
      }
    }),
  );
  if (stored.length === 0) return;
  try {
    await env.ECHO.get(env.ECHO.idFromName("stored")).delivered(stored.map((m) => m.body.stored as number));
    for (const message of stored) message.ack();
  } catch {
    for (const message of stored) message.retry();
  }
}

export default {
  fetch: app.fetch,
  queue: consume,
} satisfies ExportedHandler<BaselineEnv, Delivery>;

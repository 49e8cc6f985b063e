/**
 * The loopback HTTP server the scenarios point remote agents and URL observers at. It runs in the
 * bench's own process so arrival times share the load generator's clock (performance.now()).
 *
 *   POST /hit/<bucket>/…          answers 200 `{ "content": "ok" }` at once and counts the bucket
 *   POST /slow/<bucket>?ms=<n>    answers after <n> ms and records how long it held the call
 *   POST /fail/<bucket>           answers 500 and counts the bucket (a broken remote agent)
 *   POST /keyed/<bucket>          answers 200 and counts bucket `<bucket>.<metadata.tenant>` (the body is read)
 *
 * Buckets separate scenarios and rounds; counting happens in memory, read directly by the scenario.
 */
import { createServer, type Server } from "node:http";

export interface Loopback {
  url: string;
  /** How many calls reached `bucket`. */
  count(bucket: string): number;
  /** Arrival times (performance.now()) of every call to `bucket`. */
  arrivals(bucket: string): number[];
  /** How long /slow held each call to `bucket`, in ms. */
  held(bucket: string): number[];
  /** Resolves with the arrival time of the n-th call to `bucket`, or rejects after `timeoutMs`. */
  waitFor(bucket: string, n: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

interface Bucket {
  arrivals: number[];
  held: number[];
  waiters: Array<{ n: number; resolve: (at: number) => void }>;
}

/** The `metadata.tenant` of an envelope, or "" when it has none. */
function tenantOf(body: string): string {
  try {
    const tenant = (JSON.parse(body) as { metadata?: { tenant?: unknown } }).metadata?.tenant;
    return typeof tenant === "string" ? tenant : "";
  } catch {
    return "";
  }
}

export async function startLoopback(): Promise<Loopback> {
  const buckets = new Map<string, Bucket>();
  const bucketOf = (name: string): Bucket => {
    let bucket = buckets.get(name);
    if (!bucket) {
      bucket = { arrivals: [], held: [], waiters: [] };
      buckets.set(name, bucket);
    }
    return bucket;
  };
  const arrive = (bucket: Bucket, at: number) => {
    bucket.arrivals.push(at);
    const n = bucket.arrivals.length;
    const due = bucket.waiters.filter((w) => w.n <= n);
    bucket.waiters = bucket.waiters.filter((w) => w.n > n);
    for (const w of due) w.resolve(bucket.arrivals[w.n - 1] as number);
  };

  const server: Server = createServer((req, res) => {
    const start = performance.now();
    const url = new URL(req.url ?? "/", "http://loopback");
    const [kind, name = "default"] = url.pathname.split("/").filter(Boolean);
    // Drain the body so keep-alive connections stay usable; only `keyed` needs its content.
    const chunks: Buffer[] = [];
    if (kind === "keyed") req.on("data", (chunk: Buffer) => chunks.push(chunk));
    else req.resume();
    req.on("end", () => {
      const bucket = bucketOf(kind === "keyed" ? `${name}.${tenantOf(Buffer.concat(chunks).toString("utf8"))}` : name);
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      switch (kind) {
        case "hit":
          arrive(bucket, start);
          return answer(200, { content: "ok" });
        case "keyed":
          arrive(bucket, start);
          return answer(200, { content: "ok" });
        case "fail":
          arrive(bucket, start);
          return answer(500, { error: "scripted failure" });
        case "slow": {
          arrive(bucket, start);
          const ms = Math.min(Number(url.searchParams.get("ms") ?? 0), 10_000);
          setTimeout(() => {
            bucket.held.push(performance.now() - start);
            answer(200, { content: { slept_ms: ms } });
          }, ms);
          return;
        }
        default:
          return answer(404, { error: "unknown path" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    count: (name) => buckets.get(name)?.arrivals.length ?? 0,
    arrivals: (name) => [...(buckets.get(name)?.arrivals ?? [])],
    held: (name) => [...(buckets.get(name)?.held ?? [])],
    waitFor(name, n, timeoutMs) {
      const bucket = bucketOf(name);
      const reached = bucket.arrivals[n - 1];
      if (reached !== undefined) return Promise.resolve(reached);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          bucket.waiters = bucket.waiters.filter((w) => w !== waiter);
          reject(new Error(`only ${bucket.arrivals.length} of ${n} calls reached bucket ${name} in ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          n,
          resolve: (at: number) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        bucket.waiters.push(waiter);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

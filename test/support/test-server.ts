/**
 * A loopback HTTP server standing in for remote agents, reply_to receivers and observers.
 * Behaviour is chosen by path, so tests need no shared mutable setup:
 *
 *   /ok/<key>                 200 { content: { echoed, calls } }
 *   /status/<code>/<key>      answers <code>
 *   /slow/<ms>/<key>          waits <ms>, then 200
 *   /flaky/<n>/<key>          the first <n> calls for <key> answer 503, then 200
 *   /redirect/<key>?to=<url>  302 (or ?status=) to <url>
 *   /big/<bytes>/<key>        200 { content: "x" × <bytes> }, with its Content-Length
 *   /big-chunked/<bytes>/<key> the same, streamed in chunks without a Content-Length
 *   /big-error/<bytes>/<key>  500 with a body of <bytes> bytes
 *   /concurrent/<ms>/<key>    waits <ms>, tracking how many calls for <key> overlap
 *   /tenants/<ms>/<key>       the same, per `metadata.tenant`: each tenant's overlap, start and end times
 *   /chaos/<seed>/<key>       per request (metadata.request_id): 5% always answer 400, otherwise each
 *                             attempt answers 503 with probability 30%, decided by a hash of
 *                             (seed, request id, attempt), so runs are reproducible
 *   /hold/<key>               holds the request until its client aborts it, or `/_release/<key>`
 *   /_release/<key>           answers every request held for <key> (and later ones at once) with
 *                             200 { content: "released <key>" }
 *   /sse/<mode>/<key>         answers text/event-stream as a streaming remote agent does
 *                             (docs/agents.md): `words` a delta per word of the content's text, a
 *                             step, then the reply; `hold` a delta, then holds like /hold (released:
 *                             a delta and the reply); `cut` a delta, then closes with no reply;
 *                             `error` a delta, then an error event
 *   /ask/<key>                answers { input_required } until metadata.input carries an answer, then the answers
 *   /_calls/<key>             what this server received for <key> (method, headers, body)
 *   /_stats/<key>             { max_in_flight, handled: { request_id: successes }, tenants: { <tenant>: { max_in_flight, starts, ends } } }
 *   /_arrived/<key>           answers once a request for <key> has arrived (at most 30 s): a test's
 *                             hook for "the remote agent is working now", no polling
 *   /_aborted/<key>           answers once a held request for <key> was aborted by its client (at
 *                             most 30 s): { aborted: true, after_ms } since it arrived, else 408
 *
 * Every request is recorded under its <key> (the last path segment).
 */
import { createServer, type Server } from "node:http";
import { flatHeaders, readBody, safeJson } from "./loopback-http.ts";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** FNV-1a, for reproducible pseudo-random decisions. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3's finaliser, so inputs differing only in their last character decorrelate.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

interface TenantStats {
  in_flight: number;
  max_in_flight: number;
  /** Epoch ms each call began and ended, in arrival order. */
  starts: number[];
  ends: number[];
}

interface Stats {
  in_flight: number;
  max_in_flight: number;
  attempts: Record<string, number>;
  handled: Record<string, number>;
  tenants: Record<string, TenantStats>;
}

/** Resolves waiters when something happens for a key: a request arriving, a held request aborted. */
class KeyEvents {
  private readonly seen = new Map<string, unknown>();
  private readonly waiters = new Map<string, Array<(value: unknown) => void>>();

  fire(key: string, value: unknown): void {
    if (this.seen.has(key)) return;
    this.seen.set(key, value);
    for (const wake of this.waiters.get(key) ?? []) wake(value);
    this.waiters.delete(key);
  }

  /** The value fired for `key`, waiting at most `ms`; undefined when nothing happened in time. */
  wait(key: string, ms: number): Promise<unknown> {
    if (this.seen.has(key)) return Promise.resolve(this.seen.get(key));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      const list = this.waiters.get(key) ?? [];
      list.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.waiters.set(key, list);
    });
  }
}

const HOOK_WAIT_MS = 30_000;

export function startTestServer(): Promise<{ server: Server; port: number }> {
  const arrived = new KeyEvents();
  const aborted = new KeyEvents();
  // Held requests by key, and the keys released (their holds answer at once).
  const held = new Map<string, Array<() => void>>();
  const released = new Set<string>();
  const calls = new Map<string, Received[]>();
  const stats = new Map<string, Stats>();
  const statsOf = (key: string): Stats => {
    let s = stats.get(key);
    if (!s) {
      s = { in_flight: 0, max_in_flight: 0, attempts: {}, handled: {}, tenants: {} };
      stats.set(key, s);
    }
    return s;
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const parts = path.split("/").filter(Boolean);
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (parts[0] === "_calls") return send(200, calls.get(parts[1] ?? "") ?? []);
    if (parts[0] === "_stats") return send(200, statsOf(parts[1] ?? ""));
    if (parts[0] === "_release") {
      const key = parts[1] ?? "";
      released.add(key);
      const waiting = held.get(key) ?? [];
      held.delete(key);
      for (const answer of waiting) answer();
      return send(200, { released: waiting.length });
    }
    if (parts[0] === "_arrived" || parts[0] === "_aborted") {
      const seen = await (parts[0] === "_arrived" ? arrived : aborted).wait(parts[1] ?? "", HOOK_WAIT_MS);
      return seen === undefined ? send(408, { error: `nothing ${parts[0].slice(1)} for ${parts[1]}` }) : send(200, seen);
    }
    const key = parts[parts.length - 1] ?? "";
    const list = calls.get(key) ?? [];
    // Chaos runs send thousands of calls; their bodies are not needed, only counts.
    if (parts[0] !== "chaos") list.push({ path, headers: flatHeaders(req), body });
    calls.set(key, list);
    arrived.fire(key, { calls: list.length });
    /** Holds this request until `/_release/<key>` (then `answer`s it) or its client aborts it (recorded for `/_aborted`). */
    const hold = (answer: () => void) => {
      if (released.has(key)) return answer();
      const since = Date.now();
      held.set(key, [...(held.get(key) ?? []), answer]);
      res.on("close", () => {
        if (!res.writableEnded) aborted.fire(key, { aborted: true, after_ms: Date.now() - since });
      });
    };
    const envelope = safeJson<{ content?: unknown; metadata?: Record<string, unknown> }>(body);
    const stat = statsOf(key);
    switch (parts[0]) {
      case "ok":
        return send(200, { content: { echoed: envelope?.content ?? null, calls: list.length }, metadata: { server: "test" } });
      case "status":
        return send(Number(parts[1]), { error: `scripted ${parts[1]}` });
      case "ask": {
        // A remote agent that asks first, and answers with what it was told once it was.
        const turns = envelope?.metadata?.input as Array<{ answer: unknown }> | undefined;
        if (!turns?.length) return send(200, { input_required: { question: "which colour?", schema: { type: "string" } } });
        return send(200, { content: { told: turns.map((t) => t.answer) } });
      }
      case "slow":
        await new Promise((r) => setTimeout(r, Number(parts[1])));
        return send(200, { content: "slow done" });
      case "big":
        return send(200, { content: "x".repeat(Number(parts[1])) });
      case "big-chunked": {
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = "x".repeat(64 * 1024);
        res.write('{"content":"');
        for (let left = Number(parts[1]); left > 0; left -= chunk.length) res.write(chunk.slice(0, left));
        return res.end('"}');
      }
      case "big-error":
        res.writeHead(500, { "content-type": "text/plain" });
        return res.end("e".repeat(Number(parts[1])));
      case "redirect": {
        const query = new URL(req.url ?? "/", "http://x").searchParams;
        res.writeHead(Number(query.get("status") ?? 302), { location: query.get("to") ?? "/" });
        return res.end();
      }
      case "concurrent": {
        stat.in_flight += 1;
        stat.max_in_flight = Math.max(stat.max_in_flight, stat.in_flight);
        await new Promise((r) => setTimeout(r, Number(parts[1])));
        stat.in_flight -= 1;
        return send(200, { content: "done" });
      }
      case "tenants": {
        const tenant = String(envelope?.metadata?.tenant ?? "");
        const t = stat.tenants[tenant] ?? { in_flight: 0, max_in_flight: 0, starts: [], ends: [] };
        stat.tenants[tenant] = t;
        t.in_flight += 1;
        t.max_in_flight = Math.max(t.max_in_flight, t.in_flight);
        t.starts.push(Date.now());
        await new Promise((r) => setTimeout(r, Number(parts[1])));
        t.in_flight -= 1;
        t.ends.push(Date.now());
        return send(200, { content: { tenant, echoed: envelope?.content ?? null } });
      }
      case "chaos": {
        const id = String((envelope as { metadata?: { request_id?: string } } | null)?.metadata?.request_id ?? "");
        const attempt = (stat.attempts[id] ?? 0) + 1;
        stat.attempts[id] = attempt;
        if (hash(`${parts[1]}:${id}:permanent`) % 100 < 5) return send(400, { error: "permanent" });
        if (hash(`${parts[1]}:${id}:${attempt}`) % 100 < 30) return send(503, { error: "transient" });
        stat.handled[id] = (stat.handled[id] ?? 0) + 1;
        return send(200, { content: { handled: id } });
      }
      case "hold":
        return hold(() => send(200, { content: `released ${key}` }));
      case "sse": {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const event = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        const text = typeof envelope?.content === "string" ? envelope.content : JSON.stringify(envelope?.content ?? null);
        const mode = parts[1];
        if (mode === "words") {
          for (const word of text.split(/(?<=\s)(?=\S)/)) event("delta", { text: word });
          event("step", { type: "remote_step", words: text.split(/\s+/).length });
          event("reply", { content: text, metadata: { server: "test" } });
          return res.end();
        }
        event("delta", { text: "working " });
        if (mode === "cut") return res.end();
        if (mode === "error") {
          event("error", { type: "about:blank", title: "Internal Server Error", status: 500, detail: "disk full", transient: true });
          return res.end();
        }
        return hold(() => {
          event("delta", { text: `released ${key}` });
          event("reply", { content: `working released ${key}` });
          res.end();
        });
      }
      case "flaky":
        return list.length <= Number(parts[1]) ? send(503, { error: "flaky" }) : send(200, { content: { attempt: list.length } });
      default:
        return send(404, { error: "unknown scenario" });
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

/**
 * A loopback HTTP server standing in for remote agents, reply_to receivers and observers.
 * Behaviour is chosen by path, so tests need no shared mutable setup:
 *
 *   /ok/<key>                 200 { content: { echoed, calls } }
 *   /status/<code>/<key>      answers <code>
 *   /slow/<ms>/<key>          waits <ms>, then 200
 *   /flaky/<n>/<key>          the first <n> calls for <key> answer 503, then 200
 *   /redirect/<key>?to=<url>  302 to <url>
 *   /_calls/<key>             what this server received for <key> (method, headers, body)
 *
 * Every request is recorded under its <key> (the last path segment).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function startTestServer(): Promise<{ server: Server; port: number }> {
  const calls = new Map<string, Received[]>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const parts = path.split("/").filter(Boolean);
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (parts[0] === "_calls") return send(200, calls.get(parts[1] ?? "") ?? []);
    const key = parts[parts.length - 1] ?? "";
    const list = calls.get(key) ?? [];
    list.push({ path, headers: flatHeaders(req), body });
    calls.set(key, list);
    const envelope = safeJson(body);
    switch (parts[0]) {
      case "ok":
        return send(200, { content: { echoed: envelope?.content ?? null, calls: list.length }, metadata: { server: "test" } });
      case "status":
        return send(Number(parts[1]), { error: `scripted ${parts[1]}` });
      case "slow":
        await new Promise((r) => setTimeout(r, Number(parts[1])));
        return send(200, { content: "slow done" });
      case "redirect":
        res.writeHead(302, { location: new URL(req.url ?? "/", "http://x").searchParams.get("to") ?? "/" });
        return res.end();
      case "flaky":
        return list.length <= Number(parts[1]) ? send(503, { error: "flaky" }) : send(200, { content: { attempt: list.length } });
      default:
        return send(404, { error: "unknown scenario" });
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]));
}

function safeJson(text: string): { content?: unknown } | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

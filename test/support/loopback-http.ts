/**
 * What the loopback test servers (test-server, model-server, a2a-server) each need from a raw
 * node:http request. node:http only, and imported with its `.ts` extension, so `npm run bench` can
 * load the model server that uses it under plain Node 22.
 */
import type { IncomingMessage } from "node:http";

/** The whole request body as UTF-8 text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** Request headers as one string each (repeated headers joined with ","). */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]));
}

/** `text` parsed as JSON, or null when it is not JSON. */
export function safeJson<T = unknown>(text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

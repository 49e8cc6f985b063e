/**
 * Conditional GET for documents clients cache (A2A agent cards): a strong `ETag` from the body's
 * SHA-256, `Last-Modified` when the document knows when it last changed, and `304 Not Modified`
 * when the client's `If-None-Match` (or, without one, `If-Modified-Since`) says it has it already.
 */
import type { Context } from "hono";
import type { AppEnv } from "./app-env";

async function etagOf(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return `"${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

function notModified(c: Context<AppEnv>, etag: string, modifiedMs: number | null): boolean {
  const ifNoneMatch = c.req.header("if-none-match");
  if (ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
    return tags.includes("*") || tags.includes(etag);
  }
  const since = Date.parse(c.req.header("if-modified-since") ?? "");
  // HTTP dates have whole seconds.
  return modifiedMs !== null && Number.isFinite(since) && Math.floor(modifiedMs / 1000) * 1000 <= since;
}

/** A JSON document with validators, or 304 when the client's copy is current. */
export async function revalidatedJson(
  c: Context<AppEnv>,
  value: unknown,
  options: { modifiedAt?: string | undefined; maxAgeSeconds: number },
): Promise<Response> {
  const body = JSON.stringify(value);
  const etag = await etagOf(body);
  const modified = options.modifiedAt ? Date.parse(options.modifiedAt) : Number.NaN;
  const modifiedMs = Number.isFinite(modified) ? modified : null;
  const headers: Record<string, string> = { etag, "cache-control": `public, max-age=${options.maxAgeSeconds}` };
  if (modifiedMs !== null) headers["last-modified"] = new Date(modifiedMs).toUTCString();
  if (notModified(c, etag, modifiedMs)) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, "content-type": "application/json" });
}

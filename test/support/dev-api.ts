/**
 * One JSON call to a `wrangler dev` the e2e tests (or the benchmarks) started, as the README's curls
 * make it: the e2e admin key and a JSON content type unless `headers` overrides them (`null` drops
 * one: a call with no key), the body as JSON (a string as given, so a signature over it holds),
 * and the answer's status, headers and body (parsed when it is JSON, else its text).
 */
import { DEV_ADMIN_KEY, type DevServer } from "./wrangler-dev.ts";

export interface DevAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export async function devApi(
  dev: Pick<DevServer, "url">,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | null> = {},
): Promise<DevAnswer> {
  const merged = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json", ...headers };
  const sent = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null));
  const res = await fetch(`${dev.url}${path}`, {
    method,
    headers: sent,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text || null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

/**
 * One JSON call to a `wrangler dev` the e2e tests started, as the README's curls make it: the e2e
 * admin key (unless `headers` overrides it), a JSON body, and the answer's status and parsed body.
 */
import { DEV_ADMIN_KEY, type DevServer } from "./wrangler-dev";

export interface DevAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export async function devApi(dev: DevServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<DevAnswer> {
  const res = await fetch(`${dev.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

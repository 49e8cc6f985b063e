/**
 * Where a browser request comes from. Browsers send `Origin` on every cross-origin fetch (and on
 * same-origin ones that are not GET or HEAD); a request whose `Origin` is this worker's own host is
 * one of our pages. `wrangler dev` and other proxies may rewrite the URL, so the Host header counts
 * as our host too.
 */
import type { Context } from "hono";
import type { AppEnv } from "./app-env";

/** The `Origin` of a request from another origin (`"null"` for opaque ones), or null when it comes from our own pages or no browser. */
export function foreignOrigin(c: Context<AppEnv>): string | null {
  const origin = c.req.header("origin");
  if (!origin) return null;
  const host = URL.canParse(origin) ? new URL(origin).host : "";
  return host && (host === new URL(c.req.url).host || host === c.req.header("host")) ? null : origin;
}

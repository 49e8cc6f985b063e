/**
 * The client's address, as Cloudflare states it in `CF-Connecting-IP` (which a client cannot set:
 * Cloudflare overwrites it). Absent only where nothing in front sets it, e.g. an in-process test
 * request; per-IP limits then have no one to count and do not apply.
 */
import type { Context } from "hono";

export function clientIp(c: Context): string | null {
  const ip = c.req.header("cf-connecting-ip")?.trim();
  return ip ? ip.slice(0, 64) : null;
}

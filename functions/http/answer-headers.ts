/**
 * Headers the edge adds to every answer after its route ran (the trace, `Vary`). Set on the
 * route's own Response in place: Hono's `c.header()` after the route builds a new Response for each
 * header it sets. An answer whose headers are immutable (a Response from `fetch`) is copied once,
 * as Hono would.
 */
import type { Context } from "hono";

export function addAnswerHeader(c: Context, name: string, value: string, mode: "set" | "append" = "set"): void {
  try {
    c.res.headers[mode](name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    c.res.headers[mode](name, value);
  }
}

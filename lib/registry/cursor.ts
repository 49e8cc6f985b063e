/**
 * Opaque page cursors: the position a listing stopped at, as base64url JSON tagged with what it
 * lists, so a cursor from one listing is refused by another. Clients never parse them; the
 * server decodes them with a zod schema, and anything else is `invalid_request` naming `cursor`.
 */
import type { z } from "@hono/zod-openapi";
import { SwitchboardError } from "../message/errors";

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** `position` as a cursor of listing `kind` (e.g. "agents", "dlq"). */
export function encodeCursor(kind: string, position: unknown): string {
  return toBase64Url(JSON.stringify({ k: kind, p: position }));
}

/** The position a cursor of listing `kind` holds; throws `invalid_request` for anything else. */
export function decodeCursor<S extends z.ZodType>(kind: string, cursor: string, position: S): z.infer<S> {
  const text = fromBase64Url(cursor);
  let parsed: unknown = null;
  try {
    parsed = text === null ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  const wrapper = parsed as { k?: unknown; p?: unknown } | null;
  const checked = wrapper && typeof wrapper === "object" && wrapper.k === kind ? position.safeParse(wrapper.p) : null;
  if (!checked?.success) throw new SwitchboardError("invalid_request", "cursor: not a cursor from this listing (pass next_cursor as it was given)");
  return checked.data;
}

/**
 * Limits on what crosses a wire are limits in bytes: a queue message, a body, a stored value. A
 * string's `.length` counts UTF-16 units, and 90,000 × "é" is 180 KB on the wire, so sizes are
 * measured in UTF-8 — without encoding the text when its length alone already decides.
 */
const encoder = new TextEncoder();

/** Whether `text` is more than `limit` bytes as UTF-8. A UTF-16 unit is 1 to 3 bytes. */
export function utf8Exceeds(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return encoder.encode(text).byteLength > limit;
}

/** `text`'s length in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

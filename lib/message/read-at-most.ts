/**
 * Reads a body stream to its end, counting bytes as they arrive, and stops at the first chunk past
 * `maxBytes`: the stream is cancelled and `tooLarge()` is thrown, so an oversized or endless body
 * is never held whole. Shared by what reads a request body and what reads a remote's reply.
 */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const [only] = chunks;
  if (chunks.length === 1 && only) return only;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

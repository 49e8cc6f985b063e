/**
 * Random bytes for ids: message, request and stream ids, trace and span ids. A call makes several
 * (its envelope's id and span, its reply's, a `ctx.invoke`'s), and each `crypto.getRandomValues`
 * is a trip into the runtime for a dozen bytes, so they are drawn from a pool the runtime fills
 * `POOL_BYTES` at a time. The bytes are the same CSPRNG's; none of these ids is a secret (every
 * read of what an id names is authorised on its own), and keys and signatures never come from here.
 */

/** Bytes fetched from the runtime at once. @default 4096 */
export const POOL_BYTES = 4096;

const pool = new Uint8Array(POOL_BYTES);
let next = POOL_BYTES;

/**
 * `count` fresh random bytes (at most `POOL_BYTES`), as a view of the pool: read them before the
 * next call, which may refill it.
 */
export function randomBytes(count: number): Uint8Array {
  if (next + count > POOL_BYTES) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  next += count;
  return pool.subarray(next - count, next);
}

/**
 * Splitting map-reduce input into chunks. The seed computed `len(data) // len(mappers)` and got a
 * chunk size of 0 with fewer items than mappers; here every item lands in exactly one chunk, no
 * chunk is empty, and chunk sizes differ by at most one.
 */

export interface Chunk {
  /** Position of the chunk, 0-based; chunks cover `data` in order. */
  index: number;
  /** The mapper this chunk is sent to. */
  mapper: string;
  items: unknown[];
}

/** At most this many chunks (one mapper call each) per map-reduce. @default 256 */
export const MAX_CHUNKS = 256;

/**
 * Balanced, contiguous chunks of `data`.
 *
 * Without `chunkSize` there is one chunk per mapper (fewer when there are fewer items than
 * mappers). With `chunkSize` there are `ceil(n / chunkSize)` chunks, none larger than `chunkSize`,
 * spread over the mappers round-robin. Either way sizes differ by at most one. Empty `data` gives
 * no chunks.
 */
export function planChunks(data: readonly unknown[], mappers: readonly string[], chunkSize?: number): Chunk[] {
  if (mappers.length === 0) throw new RangeError("planChunks: at least one mapper is required");
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) {
    throw new RangeError("planChunks: chunk_size must be a positive integer");
  }
  const n = data.length;
  if (n === 0) return [];
  const count = chunkSize === undefined ? Math.min(n, mappers.length) : Math.ceil(n / chunkSize);
  const small = Math.floor(n / count);
  const large = n % count; // the first `large` chunks take one item more
  const chunks: Chunk[] = [];
  let start = 0;
  for (let index = 0; index < count; index++) {
    const size = small + (index < large ? 1 : 0);
    chunks.push({ index, mapper: mappers[index % mappers.length] as string, items: data.slice(start, start + size) });
    start += size;
  }
  return chunks;
}

/** How many chunks `planChunks` would make, without making them (for validation at the edge). */
export function chunkCount(items: number, mappers: number, chunkSize?: number): number {
  if (items === 0) return 0;
  return chunkSize === undefined ? Math.min(items, mappers) : Math.ceil(items / chunkSize);
}

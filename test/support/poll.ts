/**
 * Polls `probe` until it returns a value (not undefined), for end-to-end flows that cross a real
 * queue, where the state a user would poll is the only observable. Bounded in time.
 */
export async function until<T>(probe: () => Promise<T | undefined>, what = "condition", ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

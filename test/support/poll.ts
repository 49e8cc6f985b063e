/**
 * The one polling helper of the tests. Polls `probe` until it returns a value other than
 * `undefined`, for flows that cross a real Queue or an alarm, where the state a user would poll is
 * the only observable. Bounded in time; the error names what it waited for. No Cloudflare imports,
 * so workerd tests (through ./api.ts) and e2e tests (over HTTP) share it.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = "condition", intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** How e2e tests poll a `wrangler dev` over HTTP: a minute, five times a second. */
export const E2E_POLL = { timeoutMs: 60_000, intervalMs: 200 } as const;

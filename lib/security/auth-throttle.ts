/**
 * Online guessing of API keys and dashboard logins: failed authentications are counted per client
 * IP with a rate limiting binding (`AUTH_FAILURE_LIMITER`, 20 a minute in wrangler.toml). Once the
 * binding refuses an IP, this isolate answers every attempt from it — right key or wrong — with
 * 429 for `blockMs`, so a guess can no longer be told right from wrong by its answer. Other IPs
 * are never affected. The binding counts per Cloudflare location and this block is per isolate:
 * an IP spread over many isolates gets at most one more answered attempt in each before it is
 * blocked there too.
 */

export interface ThrottleOptions {
  /** How long a refused IP is refused, ms. @default 60000 */
  blockMs: number;
  /** The clock. @default Date.now */
  now: () => number;
}

/** IPs remembered per isolate before the oldest are forgotten. */
const MAX_BLOCKED = 10_000;

export class AuthThrottle {
  private readonly blocked = new Map<string, number>();
  private readonly options: ThrottleOptions;

  constructor(
    private readonly limiter: RateLimit,
    options: Partial<ThrottleOptions> = {},
  ) {
    this.options = { blockMs: 60_000, now: Date.now, ...options };
  }

  /** Seconds `ip` must wait before it may try again; 0 when it may now. */
  retryAfter(ip: string): number {
    const until = this.blocked.get(ip);
    if (until === undefined) return 0;
    const left = until - this.options.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.blocked.delete(ip);
    return 0;
  }

  /** Counts a failed attempt from `ip`; the seconds it must now wait (0: still within the limit). */
  async failed(ip: string): Promise<number> {
    const { success } = await this.limiter.limit({ key: `auth-failure:${ip}` });
    if (success) return 0;
    if (this.blocked.size >= MAX_BLOCKED) this.blocked.delete(this.blocked.keys().next().value as string);
    this.blocked.set(ip, this.options.now() + this.options.blockMs);
    return Math.ceil(this.options.blockMs / 1000);
  }
}

/**
 * Where an MCP cancellation meets the call it names. A `tools/call` runs in whichever isolate took
 * its POST; the client's `notifications/cancelled` comes in another POST, to another isolate. Both
 * find the session's object (durable-objects/mcp-session-do.ts), which keeps this board in memory:
 * the running call waits on `watch(id)`, the cancel calls `cancel(id)`. Nothing here must survive
 * an eviction — an object with a call waiting on it is never evicted.
 *
 * A cancel can overtake its call (the two travel independently); it is remembered for
 * `earlyTtlMs`, and the call is cancelled as it starts watching.
 */
import { objectStub, type Remote } from "../registry/object-ids";

export interface CancelBoardOptions {
  /** How long a cancel waits for its call. @default 60000 */
  earlyTtlMs?: number;
  /** How long a call may watch at most: the longest deadline. @default 300000 */
  maxWatchMs?: number;
  /** Cancels remembered at most. @default 1000 */
  maxEarly?: number;
  now?: () => number;
}

export class CancelBoard {
  private readonly watching = new Map<string, (reason: string | null) => void>();
  private readonly early = new Map<string, { reason: string; at: number }>();
  private readonly earlyTtlMs: number;
  private readonly maxWatchMs: number;
  private readonly maxEarly: number;
  private readonly now: () => number;

  constructor(options: CancelBoardOptions = {}) {
    this.earlyTtlMs = options.earlyTtlMs ?? 60_000;
    this.maxWatchMs = options.maxWatchMs ?? 300_000;
    this.maxEarly = options.maxEarly ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Resolves with the reason when `id` is cancelled, or null when it is released (or watched too long). */
  watch(id: string): Promise<string | null> {
    const early = this.early.get(id);
    this.early.delete(id);
    if (early && this.now() - early.at <= this.earlyTtlMs) return Promise.resolve(early.reason);
    this.watching.get(id)?.(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), this.maxWatchMs);
      this.watching.set(id, (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  /** Cancels `id`: true when a call was watching it; otherwise the cancel waits for it. */
  cancel(id: string, reason: string): boolean {
    if (this.settle(id, reason)) return true;
    this.forgetStale();
    if (this.early.size >= this.maxEarly) this.early.delete(this.early.keys().next().value as string);
    this.early.set(id, { reason, at: this.now() });
    return false;
  }

  /** The call `id` ended: its watch resolves null. */
  release(id: string): void {
    this.settle(id, null);
  }

  /** Calls watching now. */
  get size(): number {
    return this.watching.size;
  }

  private settle(id: string, reason: string | null): boolean {
    const resolve = this.watching.get(id);
    if (!resolve) return false;
    this.watching.delete(id);
    resolve(reason);
    return true;
  }

  private forgetStale(): void {
    const cutoff = this.now() - this.earlyTtlMs;
    for (const [id, { at }] of this.early) if (at < cutoff) this.early.delete(id);
  }
}

/** What the session's object answers (durable-objects/mcp-session-do.ts): the board's three calls. */
export interface McpSessionApi {
  watch(requestId: string): Promise<string | null>;
  cancel(requestId: string, reason: string): boolean;
  release(requestId: string): void;
}

/** The object of MCP session `sessionId` (a verified id: lib/mcp/session-token.ts). */
export function mcpSession(env: Pick<Env, "MCP_SESSION">, sessionId: string): Remote<McpSessionApi> {
  return objectStub(env.MCP_SESSION, sessionId);
}

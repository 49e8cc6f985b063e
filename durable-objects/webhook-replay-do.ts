/**
 * WebhookReplayDO: the replay record of one inbound webhook secret (named by
 * lib/security/replay-scope.ts), shared by every agent configured with that secret, so a delivery
 * accepted by one agent is refused as a replay by all the others.
 */
import { DurableObject } from "cloudflare:workers";
import { ReplayGuard } from "../lib/security/replay-guard";
import type { WebhookReplayApi } from "../lib/security/replay-scope";

export class WebhookReplayDO extends DurableObject<Env> implements WebhookReplayApi {
  private readonly guard: ReplayGuard;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.guard = new ReplayGuard(ctx.storage.sql);
  }

  /** Records `id` for `ttlMs`; false when it is already recorded (a replay). */
  remember(id: string, ttlMs: number): boolean {
    return this.guard.remember(id, Date.now(), ttlMs);
  }

  forget(id: string): void {
    this.guard.forget(id);
  }
}

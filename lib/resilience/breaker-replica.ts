/**
 * A shard's view of its agent's one logical circuit breaker. The breaker itself lives in the home
 * object; shards keep a replica of its state (pushed to them on every transition) so the common
 * case — closed — costs no extra round trip. Only the rare paths talk to the home object: a failure
 * (or the first success after one) is reported, and once the recovery time has passed the home
 * object decides which single call may probe.
 */
import type { Admission, BreakerStateName } from "./circuit-breaker";

export interface ReplicaView {
  state: BreakerStateName;
  opened_at: number | null;
  recovery_timeout_ms: number;
}

export type BreakerEvent = "success" | "failure" | "neutral";

export interface HomeBreakerPort {
  admit(): Promise<Admission>;
  report(event: BreakerEvent, probe: boolean): void;
}

/** The breaker interface the pipeline uses; CircuitBreaker and BreakerReplica both provide it. */
export interface Breaker {
  admit(): Admission | Promise<Admission>;
  onSuccess(probe: boolean): void;
  onFailure(probe: boolean): void;
  onNeutral(probe: boolean): void;
}

export class BreakerReplica implements Breaker {
  /** A failure was reported since the last reported success: the next success must reset the count. */
  private owesSuccess = false;

  constructor(
    private view: ReplicaView,
    private readonly home: HomeBreakerPort,
    private readonly clock: () => number = Date.now,
  ) {}

  update(view: ReplicaView): void {
    this.view = view;
  }

  get state(): ReplicaView {
    return this.view;
  }

  admit(): Admission | Promise<Admission> {
    if (this.view.state === "closed") return { ok: true, probe: false };
    const nextProbe = (this.view.opened_at ?? 0) + this.view.recovery_timeout_ms;
    const now = this.clock();
    if (this.view.state === "open" && now < nextProbe) return { ok: false, retryAfterMs: nextProbe - now };
    return this.home.admit();
  }

  onSuccess(probe: boolean): void {
    if (probe || this.owesSuccess) this.home.report("success", probe);
    this.owesSuccess = false;
  }

  onFailure(probe: boolean): void {
    this.owesSuccess = true;
    this.home.report("failure", probe);
  }

  onNeutral(probe: boolean): void {
    if (probe) this.home.report("neutral", probe);
  }
}

/**
 * What a scenario is and what it reports. A scenario measures one claim from the issues against a
 * baseline measured in the same run, and turns it into checks: a figure, the baseline figure, their
 * ratio, the target and whether it was met. A scenario whose feature has not landed yet returns a
 * `skip` with the reason instead of failing.
 */
import type { Client } from "./client.ts";
import type { LoadOptions } from "./load.ts";
import type { Loopback } from "./loopback.ts";
import type { DevServer as WranglerDev } from "../../test/support/wrangler-dev.ts";

export interface Check {
  /** What is compared, e.g. "throughput" or "p99". */
  measure: string;
  /** Switchboard's figure, formatted with its unit. */
  subject: string;
  /** The baseline's figure, formatted with its unit. */
  baseline: string;
  /** subject / baseline, or null when the check is a count rather than a comparison. */
  ratio: number | null;
  /** The target as printed, e.g. "≥ 0.85×". */
  target: string;
  pass: boolean;
  /**
   * Shown against a target for reading, never failing the run: the table says "met" or "missed"
   * instead of PASS or FAIL. For figures that compare with a target set for a sibling row.
   */
  info?: boolean;
}

export type Status = "pass" | "fail" | "skip" | "error";

export interface ScenarioResult {
  id: string;
  title: string;
  status: Status;
  checks: Check[];
  /** Raw figures for the JSON report. */
  figures: Record<string, unknown>;
  /** Why it skipped or errored, or what to know when reading the figures. */
  note?: string;
  seconds?: number;
}

export interface BenchContext {
  root: string;
  quick: boolean;
  switchboard: WranglerDev;
  /** An admin client for `switchboard`. */
  sb: Client;
  baseline: WranglerDev;
  loopback: Loopback;
  /** Default load shape for throughput comparisons (smaller with --quick). */
  load: LoadOptions & { rounds: number };
  /** Starts another Switchboard worker with extra vars; stopped when the run ends. */
  startSwitchboard(label: string, vars: Record<string, string>): Promise<WranglerDev>;
  /** Starts another worker from its wrangler config (relative to the root); stopped when the run ends. */
  startWorker(label: string, config: string): Promise<WranglerDev>;
}

export interface Scenario {
  id: string;
  title: string;
  /** Runs only when named with `--only`: it needs most of a run's time limit by itself. */
  optIn?: boolean;
  /** The run's ceiling when this scenario is selected, if longer than the default 10 minutes (opt-in scenarios only). */
  runLimitMs?: number;
  run(ctx: BenchContext): Promise<Omit<ScenarioResult, "id" | "title">>;
}

/** A scenario's result when its feature is not there yet. */
export function notYet(reason: string): Omit<ScenarioResult, "id" | "title"> {
  return { status: "skip", checks: [], figures: {}, note: `not available yet: ${reason}` };
}

/** Pass when every check that counts passed. */
export function statusOf(checks: Check[]): Status {
  return checks.every((c) => c.info || c.pass) ? "pass" : "fail";
}

/** The check that every message arrived exactly as often as expected, on both sides. */
export function deliveriesCheck(delivered: number, baselineDelivered: number, expected: number): Check {
  return {
    measure: "deliveries",
    subject: String(delivered),
    baseline: String(baselineDelivered),
    ratio: null,
    target: `= ${expected}`,
    pass: delivered === expected,
  };
}

/** The end-of-run table and the JSON report under bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { ScenarioResult } from "./scenario.ts";

export const rps = (v: number) => `${v.toFixed(1)} req/s`;
export const ms = (v: number) => `${v.toFixed(1)} ms`;
export const msgs = (v: number) => `${v.toFixed(1)} msg/s`;
export const us = (v: number) => `${v.toFixed(0)} µs`;

const MARK: Record<ScenarioResult["status"], string> = { pass: "PASS", fail: "FAIL", skip: "SKIP", error: "ERROR" };

/** One row per check; a scenario without checks (skipped, errored) gets one row with its note. */
export function table(results: ScenarioResult[]): string {
  const header = ["scenario", "measure", "switchboard", "baseline", "ratio", "target", "result"];
  const rows: string[][] = [];
  for (const r of results) {
    if (r.checks.length === 0) {
      rows.push([r.id, r.note ?? "", "", "", "", "", MARK[r.status]]);
      continue;
    }
    for (const c of r.checks) {
      const result = c.info ? (c.pass ? "met" : "missed") : c.pass ? "PASS" : "FAIL";
      rows.push([r.id, c.measure, c.subject, c.baseline, c.ratio === null ? "" : `${c.ratio.toFixed(2)}×`, c.target, result]);
    }
  }
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length))));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join("  ");
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export interface Report {
  started_at: string;
  finished_at: string;
  mode: "full" | "quick";
  only: string[] | null;
  /** Whether wrangler's local trace collector ran in every worker (`--dev-collector`). */
  dev_collector: boolean;
  machine: { cpus: number; cpu_model: string; memory_gb: number; node: string; platform: string };
  results: ScenarioResult[];
}

export function machine(): Report["machine"] {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Writes the report as bench/results/<ISO timestamp>.json and returns its path. */
export function writeReport(root: string, report: Report): string {
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.started_at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

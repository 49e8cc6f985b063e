/**
 * Deployment-wide samples that belong to no single agent (e.g. the size of the dead-letter store).
 * A feature registers a source once at module load; `GET /metrics` asks every source when it is
 * scraped, never on the message path. A failing source is skipped, not fatal to the scrape.
 */
import type { ExtraSample } from "./prometheus";

export type MetricsSource<E = Env> = (env: E) => Promise<ExtraSample[]>;

const sources: MetricsSource<any>[] = [];

/** Registers a source, e.g. `addMetricsSource(async (env) => [{ name: "switchboard_dlq_size", … }])`. */
export function addMetricsSource<E = Env>(source: MetricsSource<E>): void {
  sources.push(source);
}

export async function collectSources<E = Env>(env: E): Promise<ExtraSample[]> {
  const settled = await Promise.allSettled(sources.map((source) => source(env)));
  return settled.flatMap((s) => (s.status === "fulfilled" ? s.value : []));
}

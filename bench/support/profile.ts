/**
 * `--profile`: a CPU profile of the Switchboard worker while a scenario runs, taken through
 * wrangler dev's inspector (Chrome DevTools protocol, Profiler domain). It answers "where does the
 * time go" when a target is missed. Profiling slows the worker, so a profiled run's ratios are
 * not figures to quote.
 *
 * The profile is taken in segments of `SEGMENT_MS`, each stopped and started again, and merged
 * when the scenario ends: wrangler dev relays inspector messages through a proxy worker whose
 * WebSocket messages are bounded (1 MiB in workerd), and one `Profiler.stop` answer for a
 * scenario of a minute or more — the streaming one, on a loaded machine — is larger than that.
 */
import { writeFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Profiler {
  /** Stops, writes the .cpuprofile (open it in Chrome DevTools) and returns the top self-time functions. */
  stop(path: string): Promise<string[]>;
}

/** How long one profile segment runs before it is collected. @default 5000 */
export const SEGMENT_MS = 5000;
const SAMPLING_INTERVAL_US = 100;

export async function startProfiler(inspectorPort: number): Promise<Profiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const target = targets[0]?.webSocketDebuggerUrl;
  if (!target) throw new Error("wrangler dev's inspector lists no worker");
  // The inspector proxy only accepts local origins; undici's WebSocket lets us send one.
  const ws = new WebSocket(target, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("could not connect to wrangler dev's inspector")));
  });
  let next = 0;
  let closed: Error | null = null;
  const pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  ws.addEventListener("message", (event: { data: unknown }) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message?: string } };
    if (message.id === undefined) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiting?.reject(new Error(`inspector: ${message.error.message ?? JSON.stringify(message.error)}`));
    else waiting?.resolve(message.result);
  });
  ws.addEventListener("close", (event: { code?: number; reason?: string }) => {
    closed = new Error(`wrangler dev's inspector closed the connection (${event.code ?? "?"} ${event.reason ?? ""})`);
    for (const waiting of pending.values()) waiting.reject(closed);
    pending.clear();
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      if (closed) return reject(closed);
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const segment = async (): Promise<CpuProfile> => {
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    return profile;
  };
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
  await send("Profiler.start");
  const segments: CpuProfile[] = [];
  let failed: Error | null = null;
  // One rotation at a time: the last one is awaited before the final stop.
  let rotating: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    rotating = rotating.then(async () => {
      if (failed) return;
      try {
        segments.push(await segment());
        await send("Profiler.start");
      } catch (error) {
        failed = error as Error;
      }
    });
  }, SEGMENT_MS);
  return {
    async stop(path) {
      clearInterval(timer);
      await rotating;
      if (!failed) segments.push(await segment());
      ws.close();
      if (segments.length === 0) throw failed ?? new Error("no profile was taken");
      const profile = mergeProfiles(segments);
      writeFileSync(path, JSON.stringify(profile));
      const top = topSelfTime(profile, 12);
      return failed ? [`(profile cut short: ${failed.message})`, ...top] : top;
    },
  };
}

/**
 * Consecutive profiles as one: their nodes under one root (ids offset to stay unique), their
 * samples in order, the gap between two segments folded into the next one's first time delta.
 */
export function mergeProfiles(profiles: CpuProfile[]): CpuProfile {
  const [first] = profiles;
  if (!first) throw new Error("nothing to merge");
  if (profiles.length === 1) return first;
  const root: ProfileNode = { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [] };
  const merged: CpuProfile = { nodes: [root], startTime: first.startTime, endTime: first.endTime, samples: [], timeDeltas: [] };
  let offset = 1;
  // When the last merged sample was taken: a segment's first delta is from its own start, so it is rebased on this.
  let clock = first.startTime;
  for (const profile of profiles) {
    const shift = (id: number) => id + offset;
    const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
    for (const node of profile.nodes) {
      merged.nodes.push({ ...node, id: shift(node.id), children: (node.children ?? []).map(shift) });
      // The segment's own root (no node's child) hangs under the merged root.
      if (!children.has(node.id)) root.children?.push(shift(node.id));
    }
    merged.samples.push(...profile.samples.map(shift));
    let at = profile.startTime;
    profile.timeDeltas.forEach((delta, i) => {
      at += delta;
      merged.timeDeltas.push(i === 0 ? at - clock : delta);
    });
    clock = at;
    merged.endTime = profile.endTime;
    offset += Math.max(0, ...profile.nodes.map((n) => n.id));
  }
  return merged;
}

/** The functions with the most self time, as "12.3% name file:line", idle excluded. */
function topSelfTime(profile: CpuProfile, count: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") return;
    const dt = profile.timeDeltas[i] ?? 0;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").at(-1) ?? ""}:${frame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    busy += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => `${((t / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
}

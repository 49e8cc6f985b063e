/**
 * `--profile`: a CPU profile of the Switchboard worker while a scenario runs, taken through
 * wrangler dev's inspector (Chrome DevTools protocol, Profiler domain). It answers "where does the
 * time go" when a target is missed. Profiling slows the worker, so a profiled run's ratios are
 * not figures to quote.
 */
import { writeFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Profiler {
  /** Stops, writes the .cpuprofile (open it in Chrome DevTools) and returns the top self-time functions. */
  stop(path: string): Promise<string[]>;
}

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
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (event: { data: unknown }) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  return {
    async stop(path) {
      const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
      ws.close();
      writeFileSync(path, JSON.stringify(profile));
      return topSelfTime(profile, 12);
    },
  };
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

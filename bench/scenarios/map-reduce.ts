/**
 * Scenario 5 (issue 6): map-reduce runs its mappers in parallel. Eight remote mapper agents on a
 * loopback endpoint that holds each call 200 ms, and a reducer that holds it 100 ms. The same-run
 * baseline is the ideal schedule measured on the loopback side: the slowest mapper's hold plus
 * the reducer's hold. Target: wall time ≤ 1.15× that.
 */
import { must } from "../support/client.ts";
import { ms } from "../support/report.ts";
import { type Check, type Scenario, statusOf } from "../support/scenario.ts";
import { median, ratio, round } from "../support/stats.ts";

const MAPPERS = 8;
const MAP_MS = 200;
const REDUCE_MS = 100;

export const mapReduce: Scenario = {
  id: "map-reduce",
  title: `map-reduce over ${MAPPERS} mappers × ${MAP_MS} ms + reducer ${REDUCE_MS} ms vs the ideal schedule`,
  async run(ctx) {
    const { sb, loopback } = ctx;
    const mappers = Array.from({ length: MAPPERS }, (_, i) => `bench-map-${i}`);
    for (const name of mappers) {
      must(await sb.request("PUT", `/agents/${name}`, { kind: "http", url: `${loopback.url}/slow/map?ms=${MAP_MS}` }), 200, `register ${name}`);
    }
    must(await sb.request("PUT", "/agents/bench-reduce", { kind: "http", url: `${loopback.url}/slow/reduce?ms=${REDUCE_MS}` }), 200, "register bench-reduce");
    const body = { data: Array.from({ length: MAPPERS }, (_, i) => `item ${i}`), mappers, reducer: "bench-reduce" };

    const iterations = ctx.quick ? 3 : 6;
    const walls: number[] = [];
    const ideals: number[] = [];
    // One extra first run warms every mapper's object and connection; it is not counted.
    for (let i = 0; i <= iterations; i++) {
      const mapBefore = loopback.held("map").length;
      const reduceBefore = loopback.held("reduce").length;
      const t0 = performance.now();
      const answer = must(await sb.request("POST", "/patterns/map-reduce", body), 200, "map-reduce");
      const wall = performance.now() - t0;
      if (answer.body?.map_results?.length !== MAPPERS) throw new Error(`expected ${MAPPERS} map results, got ${JSON.stringify(answer.body).slice(0, 200)}`);
      const mapHeld = loopback.held("map").slice(mapBefore);
      const reduceHeld = loopback.held("reduce").slice(reduceBefore);
      if (mapHeld.length !== MAPPERS || reduceHeld.length !== 1) throw new Error(`loopback saw ${mapHeld.length} map and ${reduceHeld.length} reduce calls`);
      if (i === 0) continue;
      walls.push(wall);
      ideals.push(Math.max(...mapHeld) + (reduceHeld[0] as number));
    }
    const wall = median(walls);
    const ideal = median(ideals);
    const checks: Check[] = [
      { measure: "wall time (median)", subject: ms(wall), baseline: ms(ideal), ratio: ratio(wall, ideal), target: "≤ 1.15×", pass: wall <= 1.15 * ideal },
    ];
    return {
      status: statusOf(checks),
      checks,
      figures: { iterations, wall_ms: walls.map((w) => round(w, 1)), ideal_ms: ideals.map((w) => round(w, 1)), overhead_ms: round(wall - ideal, 1) },
    };
  },
};

/**
 * GET /metrics by push: agent objects push their cumulative counters to a fixed number of
 * aggregates, and the scrape reads only those. Counters stay exact across pushes, repeated or
 * reordered pushes, and an eviction between a change and its push.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { metricsAggregateOf } from "../../lib/observability/metrics-aggregate";
import { agentObjectStub } from "../support/agent-storage";
import { api, eventually, testServer, uniqueName } from "../support/api";

/** The value of one sample line in the scrape, or undefined when the series is absent. */
async function scraped(series: string): Promise<number | undefined> {
  const text = (await api("GET", "/metrics")).body as string;
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits until the scrape shows `series` at `value` (pushes land within the flush interval). */
function scrapedAt(series: string, value: number): Promise<number> {
  return eventually(async () => ((await scraped(series)) === value ? value : undefined), 10_000, `${series} ${value}`);
}

const invoke = (name: string, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => api("POST", `/agents/${name}/invoke`, { body: { content: i } }))).then((all) => {
    for (const r of all) expect(r.status).toBe(200);
  });

describe("GET /metrics, pushed by agents to the aggregates", () => {
  it("stays exact across pushes, and ignores a push repeated or overtaken", async () => {
    const name = uniqueName("pushed");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const series = `switchboard_messages_total{agent="${name}",outcome="ok"}`;
    expect(await scraped(series)).toBeUndefined();
    await invoke(name, 3);
    await scrapedAt(series, 3);
    await invoke(name, 2);
    await scrapedAt(series, 5);

    // What the aggregate holds for the object; pushing an older report again, or the same one twice, changes nothing.
    const aggregate = metricsAggregateOf(env, name);
    const report = (await aggregate.reports()).find((r) => r.object === name)?.report;
    if (!report) throw new Error("no report held");
    expect(report.seq).toBeGreaterThan(1);
    expect(await aggregate.push(name, report)).toBe(false);
    expect(await aggregate.push(name, { ...report, seq: report.seq - 1, messages: [] })).toBe(false);
    expect(await scraped(series)).toBe(5);
    expect(await scraped(`switchboard_message_duration_seconds_count{agent="${name}"}`)).toBe(5);
  });

  it("loses nothing when the object is evicted, or crashes, between a change and its push", async () => {
    const name = uniqueName("evicted");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    const series = `switchboard_messages_total{agent="${name}",outcome="ok"}`;
    await invoke(name, 4);
    await scrapedAt(series, 4);

    // Evicted: the runtime lets what is in flight finish, then drops the instance.
    await invoke(name, 3);
    await evictDurableObject(agentObjectStub(name));
    await scrapedAt(series, 7);

    // Crashed: counted and written with the log rows (any read of the log writes them first),
    // the push still 200 ms away, and the instance gone at once with its timers. The push is
    // a durable deadline, so the object's alarm starts it again and it pushes from storage.
    await invoke(name, 2);
    expect((await api("GET", `/agents/${name}/log?limit=1`)).status).toBe(200);
    await runInDurableObject(agentObjectStub(name), (_, state) => {
      state.abort("crash between a change and its push");
    }).catch(() => {});
    await scrapedAt(series, 9);
    // And the object carries on from there.
    await invoke(name, 1);
    await scrapedAt(series, 10);
  });

  it("withdraws a deleted agent's series", async () => {
    const name = uniqueName("withdrawn");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await invoke(name, 1);
    const series = `switchboard_in_flight{agent="${name}"}`;
    await scrapedAt(series, 0);
    expect((await api("DELETE", `/agents/${name}`)).status).toBe(204);
    await eventually(async () => ((await scraped(series)) === undefined ? true : undefined), 10_000, "the series to go");
  });

  it("sums a sharded agent's shards, each pushing its own counters", async () => {
    const name = uniqueName("pushed-shards");
    await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}`, shards: 4 } });
    await invoke(name, 1);
    await invoke(name, 39);
    await scrapedAt(`switchboard_messages_total{agent="${name}",outcome="ok"}`, 40);
    const objects = (await metricsAggregateOf(env, name).reports()).map((r) => r.object).filter((o) => o === name || o.startsWith(`${name}#`));
    expect(objects.length).toBeGreaterThan(1);
  });
});

describe("GET /metrics/agents", () => {
  it("shows the reports of the agents named, and totals that add up to the scrape", async () => {
    const [a, b] = [uniqueName("totals-a"), uniqueName("totals-b")];
    for (const name of [a, b]) await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await invoke(a, 2);
    await invoke(b, 3);
    await scrapedAt(`switchboard_messages_total{agent="${b}",outcome="ok"}`, 3);
    await scrapedAt(`switchboard_messages_total{agent="${a}",outcome="ok"}`, 2);

    const page = await api("GET", `/metrics/agents?names=${a},${b},no-such-agent`);
    expect(page.status).toBe(200);
    expect(page.body.flush_ms).toBe(200);
    expect(page.body.agents.map((r: { agent: string }) => r.agent)).toEqual([a, b]);
    expect(page.body.agents[1]).toMatchObject({ agent: b, breaker: { state: "closed" }, in_flight: 0, pushed_at: expect.any(Number) });

    // The totals are the sum of every agent's counters, kept as pushes arrive.
    await eventually(async () => {
      const text = (await api("GET", "/metrics")).body as string;
      const ok = [...text.matchAll(/^switchboard_messages_total\{agent="[^"]+",outcome="ok"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      const totals = (await api("GET", "/metrics/agents")).body.totals;
      return totals.messages.ok === ok && ok >= 5 ? true : undefined;
    });

    expect((await api("GET", "/metrics/agents?names=Not_A_Name")).status).toBe(400);
    expect((await api("GET", `/metrics/agents?names=${Array(101).fill("a").join(",")}`)).status).toBe(400);
    expect((await api("GET", "/metrics/agents", { as: "planner" })).status).toBe(403);
  });

  it("lists a bounded, stable set of agents one by one, exactly the named ones with ?agents=, and every agent in the deployment series", async () => {
    const [a, b] = [uniqueName("series-a"), uniqueName("series-b")];
    for (const name of [a, b]) await api("PUT", `/agents/${name}`, { body: { kind: "http", url: `${testServer()}/ok/${name}` } });
    await invoke(a, 2);
    await invoke(b, 3);
    await scrapedAt(`switchboard_messages_total{agent="${a}",outcome="ok"}`, 2);
    await scrapedAt(`switchboard_messages_total{agent="${b}",outcome="ok"}`, 3);

    const named = await api("GET", `/metrics?agents=${a}`);
    expect(named.status).toBe(200);
    const text = named.body as string;
    expect(text).toContain(`switchboard_messages_total{agent="${a}",outcome="ok"} 2`);
    expect(text).not.toContain(`agent="${b}"`);
    expect(text).toMatch(/^switchboard_metrics_agent_series 1$/m);
    // The deployment series add up every agent's counters, listed or not.
    const deployed = Number(/^switchboard_deployment_messages_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1]);
    expect(deployed).toBe((await api("GET", "/metrics/agents")).body.totals.messages.ok);
    expect(deployed).toBeGreaterThanOrEqual(5);

    // By default at most SWITCHBOARD_METRICS_AGENT_SERIES (256) agents, each aggregate giving its first by name.
    const all = (await api("GET", "/metrics")).body as string;
    const listed = new Set([...all.matchAll(/^switchboard_breaker_failures\{agent="([^"]+)"\}/gm)].map((m) => m[1]));
    expect(Number(/^switchboard_metrics_agent_series (\d+)$/m.exec(all)?.[1])).toBe(listed.size);
    expect(listed.size).toBeLessThanOrEqual(256);
    const aggregate = metricsAggregateOf(env, a);
    const agents = [...new Set((await aggregate.reports()).map((r) => r.object.split("#")[0]))].sort();
    expect(new Set((await aggregate.reports(1)).map((r) => r.object.split("#")[0]))).toEqual(new Set(agents.slice(0, 1)));

    expect((await api("GET", "/metrics?agents=Not_A_Name")).status).toBe(400);
  });
});

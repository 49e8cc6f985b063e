/**
 * GET /dashboard/agents/:name: one agent's charts, outcomes, breaker timeline, a form to invoke it,
 * its messages, dead letters, observers and schedules.
 */
import { dashboardView } from "./dashboard-shell";
import { AGENT_SCRIPT } from "./agent-script";

const CSS = `
.bar-line { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: 0 0 .8rem; }
section.panel h2 { margin-top: 0; }
svg.chart { width: 100%; height: auto; font-size: 11px; }
.chart .grid { stroke: var(--line); } .chart .axis { fill: var(--muted); }
.chart .series path { fill: none; stroke: currentColor; stroke-width: 2; } .chart .series circle { fill: currentColor; }
.chart .cap { stroke: var(--muted); stroke-dasharray: 5 4; }
.chart rect.bar { fill: currentColor; }
.legend { display: flex; flex-wrap: wrap; gap: .8rem; font-size: 12px; margin: .2rem 0 0; }
.gauge { display: inline-block; width: 8rem; height: .7rem; border-radius: .35rem; background: var(--track); vertical-align: middle; overflow: hidden; }
.gauge > span { display: block; height: 100%; background: var(--info); }
.stack { display: flex; height: 1.1rem; border-radius: 4px; overflow: hidden; background: var(--track); }
.stack .part { background: currentColor; min-width: 2px; }
ul.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.band { position: relative; height: 1.1rem; border-radius: 4px; background: var(--track); overflow: hidden; }
.band .seg { position: absolute; top: 0; bottom: 0; background: currentColor; }
ol.transitions { list-style: none; padding: 0; margin: .5rem 0 0; display: grid; gap: .15rem; font-variant-numeric: tabular-nums; }
td pre { max-width: 28rem; max-height: 4.5em; overflow: hidden; }
#try { margin-top: 1rem; } #try summary { cursor: pointer; font-weight: 600; }
#try form { display: grid; margin-top: .5rem; gap: .4rem; max-width: 48rem; }
#try textarea { font: 13px/1.4 ui-monospace, monospace; width: 100%; box-sizing: border-box; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; padding: .4rem; }
#try-steps { margin: .4rem 0 0; padding-left: 1.4rem; font-size: 13px; }
#try .row { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; }
pre.inspect { max-width: 40rem; max-height: 20rem; overflow: auto; background: var(--bg); padding: .4rem; border-radius: 4px; margin-top: .4rem; }
`;

const panel = (id: string, title: string) => `<section class="panel" aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2><div id="${id}"></div></section>`;

export function agentPage(name: string): Response {
  return dashboardView({
    title: `agent ${name}`,
    heading: name,
    css: CSS,
    // The name matched the agent name pattern in the route: lowercase letters, digits and dashes only.
    body: `<div id="agent" data-agent="${name}" class="bar-line"><span id="badges"></span><span id="description" class="muted"></span>
<label for="window">charts over the last</label><select id="window"><option value="300000">5 minutes</option><option value="900000" selected>15 minutes</option><option value="3600000">hour</option><option value="86400000">day</option></select>
<span id="act" class="muted" role="status"></span></div>
<div class="grid2">
${panel("now", "Now")}
${panel("throughput", "Throughput")}
${panel("latency", "Latency p50 / p95 / p99")}
${panel("concurrency", "Concurrency against the cap")}
${panel("outcomes", "Outcomes (all time)")}
${panel("breaker", "Breaker timeline")}
</div>
<details id="try" class="panel"><summary>Invoke this agent</summary>
<form id="try-form"><label for="try-content">content: JSON, or text sent as a string</label>
<textarea id="try-content" rows="5" spellcheck="false"></textarea>
<div class="row"><button type="submit">Send</button><button type="button" id="try-cancel" hidden>Cancel</button><label><input type="checkbox" id="try-stream"> stream the reply</label><span id="try-status" role="status"></span><span id="try-trace"></span></div></form>
<ol id="try-steps" hidden></ol><pre id="try-live" class="inspect" aria-live="polite" hidden></pre>
<pre id="try-reply" class="inspect" hidden></pre></details>
<h2>Recent messages</h2><div id="messages"></div>
<h2>Dead letters</h2><div id="dlq-actions"></div><div id="dlq"></div>
<div class="grid2"><div><h2>Observers</h2><div id="observers"></div></div><div><h2>Schedules</h2><div id="schedules"></div></div></div>`,
    script: AGENT_SCRIPT,
  });
}

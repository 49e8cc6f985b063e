/** GET /dashboard: the agent graph, agents (breaker, in-flight, paused or held deliveries, next firing, latency), schedules, requests waiting for input (answered here), recent messages (each trace opens as a waterfall), and the DLQ. */
import { AGENT_GRAPH } from "./agent-graph";
import { AGENT_GRAPH_VIEW } from "./agent-graph-view";
import { DASHBOARD_SCRIPT } from "./dashboard-script";
import { dashboardView } from "./dashboard-shell";

const CSS = `
section { margin-bottom: 1.2rem; } .bar { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
td pre { max-width: 32rem; max-height: 4.5em; overflow: hidden; }
#waiting textarea { width: 18rem; max-width: 100%; min-height: 2.6em; font-family: ui-monospace, monospace; font-size: 12.5px; }
#trace-id { width: 22rem; max-width: 100%; font-family: ui-monospace, monospace; }
svg.graph { width: 100%; height: auto; font-size: 13px; }
.graph .node rect { fill: var(--bg); stroke: var(--ok); stroke-width: 2; }
.graph .node.breaker-open rect { stroke: var(--bad); stroke-width: 3; } .graph .node.breaker-half_open rect { stroke: var(--warn); stroke-width: 3; }
.graph .node.other rect { stroke: var(--muted); stroke-dasharray: 4 3; }
.graph .node-name { font-weight: 600; fill: var(--fg); } .graph .node-sub { fill: var(--muted); font-size: 11px; }
.graph a:focus-visible rect, .graph a:hover rect { stroke: var(--warn); stroke-width: 3; }
.graph .edge path { fill: none; stroke: var(--muted); stroke-width: 1.6; } .graph .edge.has-errors path { stroke: var(--bad); }
.graph .arrow { fill: var(--muted); } .graph .arrow.bad { fill: var(--bad); }
.graph .edge-label { fill: var(--fg); font-size: 11px; paint-order: stroke; stroke: var(--bg); stroke-width: 4px; }
.graph .edge.has-errors .edge-label { fill: var(--bad); }
`;

const table = (id: string, headings: string[]) =>
  `<div class="scroll"><table><thead><tr>${headings.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody id="${id}"></tbody></table></div>`;

/** Log rows read per agent: enough for a window of recent traffic, far below the log's 1000. */
const GRAPH_ROWS = 200;

export function dashboardPage(): Response {
  return dashboardView({
    title: "overview",
    heading: "Overview",
    css: CSS,
    body: `<div class="bar"><button type="button" id="refresh">Refresh now</button><span id="status" class="muted" role="status"></span></div>
<section><h2>Agent graph</h2><div class="bar"><label for="graph-window">who called whom in the last</label>
<select id="graph-window"><option value="60000">minute</option><option value="300000">5 minutes</option><option value="900000" selected>15 minutes</option><option value="3600000">hour</option><option value="86400000">day</option></select>
<span class="muted">from each agent's newest ${GRAPH_ROWS} logged messages</span></div>
<div id="graph" class="scroll"></div><p id="graph-idle" class="muted"></p></section>
<section><h2>Agents</h2><div class="bar"><button type="button" id="agents-first" disabled>First page</button> <button type="button" id="agents-next" disabled>Next page</button> <span id="agents-page" class="muted"></span></div>${table("agents", ["agent", "kind", "breaker", "in flight", "deliveries", "next firing", "p50", "p95", "ok", "failed"])}</section>
<section><h2>Schedules</h2>${table("schedules", ["agent", "id", "when", "next firing", "catch up", "fired", "last error"])}</section>
<section><h2>Waiting for input</h2>${table("waiting", ["since", "agent", "request", "question", "answer (JSON or text)", ""])}</section>
<section><h2>Recent messages</h2>${table("messages", ["time", "agent", "dir", "from → to", "pattern", "outcome", "duration", "preview", "trace"])}</section>
<section><h2>Trace</h2><form id="trace-form" class="bar"><label for="trace-id">Open a trace as a waterfall</label><input id="trace-id" placeholder="trace id (32 hex)" autocomplete="off" pattern="[0-9a-fA-F]{32}"><button type="submit">Open</button></form></section>
<section><h2>Dead letters</h2>${table("dlq", ["id", "agent", "status", "error", "attempts", "last failed", "content", ""])}</section>`,
    script: AGENT_GRAPH + AGENT_GRAPH_VIEW + DASHBOARD_SCRIPT.replace("__GRAPH_ROWS__", String(GRAPH_ROWS)),
  });
}

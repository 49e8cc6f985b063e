/** GET /dashboard: agents, breakers, in-flight, latency, recent messages (each trace opens as a waterfall), and the DLQ. */
import { DASHBOARD_SCRIPT } from "./dashboard-script";
import { htmlPage } from "./html";

const CSS = `
section { margin-bottom: 1.2rem; } .bar { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
button.link { background: none; border: 0; padding: 0; color: #2471a3; text-decoration: underline; }
td pre { max-width: 32rem; max-height: 4.5em; overflow: hidden; }
#trace-id { width: 22rem; font-family: ui-monospace, monospace; }
`;

const table = (id: string, headings: string[]) =>
  `<table><thead><tr>${headings.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody id="${id}"></tbody></table>`;

export function dashboardPage(): Response {
  return htmlPage({
    title: "Switchboard dashboard",
    css: CSS,
    body: `<header><h1>Switchboard</h1>
<div class="bar"><span id="status" class="muted" role="status"></span>
<label><input type="checkbox" id="auto" checked> auto-refresh</label><button type="button" id="refresh">Refresh</button>
<a href="/docs">API docs</a>
<form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form></div></header>
<main id="main">
<section><h2>Agents</h2>${table("agents", ["agent", "kind", "breaker", "in flight", "p50", "p95", "ok", "failed"])}</section>
<section><h2>Recent messages</h2>${table("messages", ["time", "agent", "dir", "from → to", "pattern", "outcome", "duration", "preview", "trace"])}</section>
<section><h2>Trace</h2><form id="trace-form" class="bar"><label for="trace-id">Open a trace as a waterfall</label><input id="trace-id" placeholder="trace id (32 hex)" autocomplete="off" pattern="[0-9a-fA-F]{32}"><button type="submit">Open</button></form></section>
<section><h2>Dead letters</h2>${table("dlq", ["id", "agent", "status", "error", "attempts", "last failed", "content", ""])}</section>
</main>`,
    script: DASHBOARD_SCRIPT,
  });
}

/**
 * The frame of every dashboard view: a header with the way back to the overview, the Live switch
 * and sign-out, the colours of outcomes and breaker states in a light and a dark scheme (the
 * system's), and layouts that fold to one column on a phone. Each view adds its body and script.
 */
import { BROWSER_KIT } from "./browser-kit";
import { escapeHtml, htmlPage } from "./html";

const THEME_CSS = `
:root { --bg: #fff; --fg: #1c1f24; --panel: #f5f6f8; --accent: #2463a6; --info: #2e75b6; --track: #8882;
  --ok: #2e8b57; --bad: #c0392b; --warn: #b9770e; --focus: #f0a500; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15181d; --fg: #e3e6ea; --panel: #1f242b; --accent: #6aa9ea; --info: #5b9bd5; --track: #fff1;
    --ok: #4cc38a; --bad: #ef6b5e; --warn: #e0a43a; }
}
body { background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .info { color: var(--info); }
header.top { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; justify-content: space-between; margin-bottom: .6rem; }
header.top h1 { margin: 0; min-width: 0; overflow-wrap: anywhere; } header.top h1 a { color: inherit; text-decoration: none; }
header.top nav { display: flex; flex-wrap: wrap; gap: .8rem; align-items: center; }
header.top form { margin: 0; }
#live { border: 1px solid var(--line); border-radius: 1rem; background: var(--panel); color: var(--fg); padding: .1rem .7rem; }
#live[data-state="live"] { color: var(--ok); } #live[data-state="error"] { color: var(--bad); }
#live[data-state="paused"], #live[data-state="hidden"] { color: var(--muted); }
.panel { background: var(--panel); border-radius: 8px; padding: .6rem .8rem; }
.pill { display: inline-block; border-radius: .6rem; padding: 0 .45rem; font-size: 12px; border: 1px solid currentColor; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr)); gap: 1rem; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: 0; }
dl.kv dt { color: var(--muted); } dl.kv dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
`;

export interface ViewInit {
  /** Page title after "Switchboard — ". */
  title: string;
  /** Shown after the brand in the header; escaped. */
  heading: string;
  body: string;
  css: string;
  /** The view's browser script; it runs after the kit (global SB). */
  script: string;
}

export function dashboardView(init: ViewInit): Response {
  return htmlPage({
    title: `Switchboard — ${init.title}`,
    css: THEME_CSS + init.css,
    body: `<header class="top"><h1><a href="/dashboard">Switchboard</a> <span class="muted">› ${escapeHtml(init.heading)}</span></h1>
<nav aria-label="dashboard"><button type="button" id="live" aria-pressed="true" title="Updates every few seconds while this tab is visible">● Live</button>
<a href="/dashboard">Overview</a><a href="/docs">API docs</a>
<form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form></nav></header>
<main id="main">${init.body}</main>`,
    script: BROWSER_KIT + init.script,
  });
}

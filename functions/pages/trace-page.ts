/** GET /dashboard/traces/:trace_id: one trace as a waterfall of spans, with the chosen span's message beside it. */
import { dashboardView } from "./dashboard-shell";
import { TRACE_SCRIPT } from "./trace-script";

const CSS = `
.trace-layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 1fr); gap: 1rem; align-items: start; }
@media (max-width: 52rem) { .trace-layout { grid-template-columns: 1fr; } }
.waterfall { padding: .4rem .6rem; }
.axis, .span-row { display: grid; grid-template-columns: minmax(9rem, 32%) 1fr 4.5rem; gap: .6rem; align-items: center; }
@media (max-width: 36rem) { .axis, .span-row { grid-template-columns: 1fr 4rem; } .span-row .track, .axis .ticks { grid-column: 1 / -1; grid-row: 2; } }
.axis { border-bottom: 1px solid var(--line); padding-bottom: .2rem; font-size: 12px; }
.ticks { position: relative; height: 1.1rem; }
.tick { position: absolute; transform: translateX(-50%); white-space: nowrap; color: var(--muted); }
.tick:first-child { transform: none; } .tick:last-child { transform: translateX(-100%); }
ol.spans { list-style: none; margin: 0; padding: 0; }
li.span { border-bottom: 1px solid var(--line); }
li.span[aria-current] .span-row { background: var(--track); }
.span-row { width: 100%; background: none; border: 0; color: inherit; text-align: left; padding: .3rem .2rem; }
.span-row:hover { background: var(--track); }
.label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; } .label .agent { font-weight: 600; }
.track { position: relative; height: 1rem; background: var(--track); border-radius: 3px; }
.bar { position: absolute; top: 0; bottom: 0; border-radius: 3px; background: currentColor; min-width: 3px; }
.bar.waited { background: none; border: 1.5px solid currentColor; }
.bar .inner { position: absolute; top: 2px; bottom: 2px; background: currentColor; border-radius: 2px; min-width: 3px; }
.bar.point { width: 8px !important; transform: rotate(45deg) scale(.8); border-radius: 1px; }
.dur { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
#detail h2 { margin-top: 0; } #detail h3 { font-size: .95rem; margin: .8rem 0 .2rem; }
#detail pre { max-height: 16rem; overflow: auto; background: var(--bg); padding: .4rem; border-radius: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: .8rem; font-size: 12px; margin: .3rem 0 .6rem; }
`;

export function tracePage(traceId: string): Response {
  return dashboardView({
    title: `trace ${traceId}`,
    heading: `Trace ${traceId}`,
    css: CSS,
    // The id is 32 hex characters, checked by the route before it gets here.
    body: `<p id="summary" class="muted" role="status">Loading the trace…</p>
<p class="legend" aria-label="legend"><span class="ok">■ ok / forwarded</span><span class="info">■ enqueued</span><span class="warn">■ cancelled / late</span><span class="bad">■ failed</span><span class="muted">▭ the caller's wait around the callee's own time · ◆ an event</span></p>
<div class="trace-layout" id="trace-layout" data-trace="${traceId}">
<section class="waterfall panel" aria-label="waterfall"><div class="axis" aria-hidden="true"><span>span</span><div class="ticks" id="ticks"></div><span></span></div>
<ol id="spans" class="spans"></ol></section>
<aside id="detail" class="panel" aria-live="polite"><p class="muted">Choose a span to see its message.</p></aside>
</div>`,
    script: TRACE_SCRIPT,
  });
}

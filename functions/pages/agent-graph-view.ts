/**
 * Browser JS that draws `agentGraph`'s nodes and edges into an SVG: columns by rank, a node's
 * outline coloured by its breaker (closed, half-open, open) with in-flight against the cap, edges
 * as curves with arrowheads labelled "calls · error rate" (red when any failed), edges that close a
 * cycle curved underneath. Nodes are links to the agent's page, reachable with Tab.
 */
export const AGENT_GRAPH_VIEW = String.raw`
function drawAgentGraph(box, graph) {
  var svg = SB.svg, W = 168, H = 50, GX = 96, GY = 24, PAD = 12;
  var rank = ranks(graph), cols = [], at = {};
  graph.nodes.forEach(function (n) { (cols[rank[n.name]] = cols[rank[n.name]] || []).push(n); });
  // Each column in the order of its callers' places (centred), which uncrosses most edges.
  var place = {};
  cols.forEach(function (col, c) {
    if (!col) return;
    if (c > 0) col.sort(function (a, b) { return mean(a) - mean(b); });
    col.forEach(function (n, i) { place[n.name] = i - (col.length - 1) / 2; });
  });
  function mean(n) {
    var callers = graph.edges.filter(function (e) { return e.to === n.name && place[e.from] !== undefined; });
    return callers.length ? callers.reduce(function (sum, e) { return sum + place[e.from]; }, 0) / callers.length : 0;
  }
  var rows = Math.max.apply(null, cols.map(function (c) { return c ? c.length : 0; }).concat([1]));
  var back = graph.edges.some(function (e) { return rank[e.to] <= rank[e.from]; });
  cols.forEach(function (col, c) {
    (col || []).forEach(function (n, i) { at[n.name] = { x: PAD + c * (W + GX), y: PAD + ((rows - col.length) * (H + GY)) / 2 + i * (H + GY) }; });
  });
  var width = PAD * 2 + cols.length * (W + GX) - GX, height = PAD * 2 + rows * (H + GY) - GY + (back ? 44 : 0);
  var root = svg("svg", { viewBox: "0 0 " + Math.max(width, 200) + " " + Math.max(height, 60), role: "group", "aria-label": "agent graph", class: "graph" });
  root.style.maxWidth = Math.max(width, 200) + "px";
  root.appendChild(svg("defs", null, [
    svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" })),
    svg("marker", { id: "arrow-bad", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow bad" })),
  ]));
  graph.edges.forEach(function (e) {
    var a = at[e.from], b = at[e.to], d, lx, ly;
    if (rank[e.to] > rank[e.from]) {
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2;
      d = "M" + x1 + "," + y1 + " C" + (x1 + GX / 2) + "," + y1 + " " + (x2 - GX / 2) + "," + y2 + " " + x2 + "," + y2;
      // The label sits two thirds along the curve, near the callee, where edges from one caller have fanned out.
      var t = 0.68, u = 1 - t;
      lx = u * u * u * x1 + 3 * u * u * t * (x1 + GX / 2) + 3 * u * t * t * (x2 - GX / 2) + t * t * t * x2;
      ly = (u * u * u + 3 * u * u * t) * y1 + (3 * u * t * t + t * t * t) * y2 - 4;
    } else {
      var sx = a.x + W / 2, sy = a.y + H, tx = b.x + W / 2, ty = b.y + H + 2, low = Math.max(sy, ty) + 40;
      d = "M" + sx + "," + sy + " C" + sx + "," + low + " " + tx + "," + low + " " + tx + "," + ty;
      lx = (sx + tx) / 2; ly = low - 8;
    }
    var rate = e.errors ? Math.round((100 * e.errors) / e.count) : 0;
    var patterns = Object.keys(e.patterns).join(", ");
    root.appendChild(svg("g", { class: "edge" + (e.errors ? " has-errors" : ""), "data-from": e.from, "data-to": e.to, "data-count": e.count, "data-errors": e.errors }, [
      svg("title", null, e.from + " → " + e.to + ": " + e.count + " calls (" + patterns + "), " + e.errors + " failed"),
      svg("path", { d: d, "marker-end": e.errors ? "url(#arrow-bad)" : "url(#arrow)" }),
      svg("text", { x: lx, y: ly, "text-anchor": "middle", class: "edge-label" }, e.count + (e.errors ? " · " + rate + "% err" : "")),
    ]));
  });
  graph.nodes.forEach(function (n) {
    var p = at[n.name], m = n.metrics || {}, state = m.breaker ? m.breaker.state : null;
    var sub = n.name === OUTSIDE ? "API clients" : [n.kind, m.in_flight === undefined ? null : m.in_flight + "/" + m.max_concurrency + " in flight"].filter(Boolean).join(" · ");
    var g = svg("g", { class: "node" + (state ? " breaker-" + state : "") + (n.loaded ? "" : " other"), "data-agent": n.name, "data-breaker": state, transform: "translate(" + p.x + "," + p.y + ")" }, [
      svg("title", null, n.name + (state ? ", breaker " + state : "") + (sub ? ", " + sub : "")),
      svg("rect", { width: W, height: H, rx: 9 }),
      svg("text", { x: 12, y: 21, class: "node-name" }, n.name.length > 20 ? n.name.slice(0, 19) + "…" : n.name),
      svg("text", { x: 12, y: 38, class: "node-sub" }, sub + (state && state !== "closed" ? " · " + state.replace("_", "-") : "")),
    ]);
    root.appendChild(n.name === OUTSIDE ? g : svg("a", { href: SB.agentHref(n.name), "aria-label": "agent " + n.name + (state ? ", breaker " + state : "") }, g));
  });
  box.replaceChildren(graph.nodes.length ? root : SB.el("p", { class: "muted" }, "No calls in this window."));
}
`;

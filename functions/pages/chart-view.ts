/**
 * Browser JS for the agent page's charts, as small SVGs on a shared time axis: `lineChart` (one
 * line per series, gaps where a bucket has no data, an optional dashed cap line) and `barChart`
 * (stacked bars per bucket). Both label their axes, carry a text legend, and put the numbers in
 * each point's <title>, so hovering or a screen reader gets the values. Series and bars carry
 * data-* attributes naming what they show.
 */
export const CHART_VIEW = String.raw`
var CHART = { w: 600, h: 170, left: 46, right: 10, top: 10, bottom: 22 };
function niceMax(v) {
  if (!(v > 0)) return 1;
  var p = Math.pow(10, Math.floor(Math.log10(v))), n = v / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}
function clock(t) { return new Date(t).toTimeString().slice(0, 8); }
function chartFrame(label, t0, t1, yMax, yFormat) {
  var svg = SB.svg, c = CHART, root = svg("svg", { viewBox: "0 0 " + c.w + " " + c.h, class: "chart", role: "img", "aria-label": label });
  var x = function (t) { return c.left + ((t - t0) / Math.max(1, t1 - t0)) * (c.w - c.left - c.right); };
  var y = function (v) { return c.h - c.bottom - (v / yMax) * (c.h - c.top - c.bottom); };
  [0, 0.5, 1].forEach(function (f) {
    root.appendChild(svg("line", { x1: c.left, x2: c.w - c.right, y1: y(yMax * f), y2: y(yMax * f), class: "grid" }));
    root.appendChild(svg("text", { x: c.left - 6, y: y(yMax * f) + 4, "text-anchor": "end", class: "axis" }, yFormat(yMax * f)));
    root.appendChild(svg("text", { x: x(t0 + (t1 - t0) * f), y: c.h - 6, "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle", class: "axis" }, clock(t0 + (t1 - t0) * f)));
  });
  return { root: root, x: x, y: y };
}
function legend(items) {
  return SB.el("p", { class: "legend" }, items.map(function (i) { return SB.el("span", { class: i.cls }, "■ " + i.name); }));
}
/** series: [{ name, cls, points: [[t, v | null]] }]; cap: a horizontal limit to draw dashed. */
function lineChart(box, opts) {
  var all = [];
  opts.series.forEach(function (s) { s.points.forEach(function (p) { if (p[1] !== null) all.push(p[1]); }); });
  var yMax = niceMax(Math.max.apply(null, all.concat([opts.cap || 0, 0])) * 1.1);
  var f = chartFrame(opts.label, opts.t0, opts.t1, yMax, opts.format);
  if (opts.cap) f.root.appendChild(SB.svg("line", { x1: CHART.left, x2: CHART.w - CHART.right, y1: f.y(opts.cap), y2: f.y(opts.cap), class: "cap" }, SB.svg("title", null, "cap " + opts.cap)));
  opts.series.forEach(function (s) {
    var d = "", pen = "M", g = SB.svg("g", { class: "series " + s.cls, "data-series": s.name, "data-points": s.points.filter(function (p) { return p[1] !== null; }).length });
    s.points.forEach(function (p) {
      if (p[1] === null) { pen = "M"; return; }
      d += pen + f.x(p[0]).toFixed(1) + "," + f.y(p[1]).toFixed(1) + " ";
      pen = "L";
      g.appendChild(SB.svg("circle", { cx: f.x(p[0]), cy: f.y(p[1]), r: 2.5 }, SB.svg("title", null, s.name + " " + opts.format(p[1]) + " at " + clock(p[0]))));
    });
    g.insertBefore(SB.svg("path", { d: d.trim() }), g.firstChild);
    f.root.appendChild(g);
  });
  box.replaceChildren(f.root, legend(opts.series.concat(opts.cap ? [{ name: "cap " + opts.cap, cls: "muted" }] : [])));
}
/** buckets: [{ t, values: { name: n } }]; stacks: [{ name, cls }] drawn bottom up. */
function barChart(box, opts) {
  var yMax = niceMax(Math.max.apply(null, opts.buckets.map(function (b) { return opts.stacks.reduce(function (n, s) { return n + (b.values[s.name] || 0); }, 0); }).concat([1])));
  var f = chartFrame(opts.label, opts.t0, opts.t1, yMax, function (v) { return String(Math.round(v)); });
  var w = Math.max(1, f.x(opts.t0 + opts.width) - f.x(opts.t0) - 2);
  opts.buckets.forEach(function (b) {
    var base = 0;
    opts.stacks.forEach(function (s) {
      var v = b.values[s.name] || 0;
      if (!v) return;
      f.root.appendChild(SB.svg("rect", { x: f.x(b.t) + 1, width: w, y: f.y(base + v), height: f.y(base) - f.y(base + v), class: "bar " + s.cls, "data-stack": s.name, "data-value": v },
        SB.svg("title", null, v + " " + s.name + " from " + clock(b.t))));
      base += v;
    });
  });
  box.replaceChildren(f.root, legend(opts.stacks));
}
`;

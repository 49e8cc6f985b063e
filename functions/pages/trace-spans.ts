/**
 * Browser JS that turns the rows of GET /traces/:id into a tree of spans, the waterfall's model.
 * One span per hop: an agent's inbound row, with the caller's outbound row of the same message (its
 * wait, seen from the caller) folded in; an outbound row nobody logged receiving (an event's
 * enqueue, a refused call) is a span of its own. A span's parent is the previous agent of a chain
 * (the same message, one hop shallower), else the caller's own hop that was running when it began;
 * map-reduce calls from outside gather under one group so the mappers sit together, reducer last.
 * Defines `buildSpans(rows)` → `{ spans (flow order, with level), t0, t1 }`.
 */
export const TRACE_SPANS = String.raw`
/** Rows are written at the end of a call with millisecond times; a parent may seem to start this much after its child. */
var TOLERANCE_MS = 2;
function buildSpans(rows) {
  var spans = [], inAt = {};
  rows.forEach(function (r) {
    var start = SB.startOf(r);
    if (r.direction !== "in") return;
    var s = { row: r, agent: r.agent, start: start, end: start + (r.duration_ms || 0), depth: r.depth || 0, children: [] };
    (inAt[r.id] = inAt[r.id] || []).push(s);
    spans.push(s);
  });
  rows.forEach(function (r) {
    if (r.direction !== "out") return;
    var callee = (inAt[r.id] || []).filter(function (s) { return s.agent === r.to; })[0];
    var start = SB.startOf(r), end = start + (r.duration_ms || 0);
    if (callee) { callee.out = r; callee.start = Math.min(callee.start, start); callee.end = Math.max(callee.end, end); return; }
    spans.push({ row: r, out: r, agent: r.agent, start: start, end: end, depth: r.depth || 0, own: true, children: [] });
  });
  spans.forEach(function (s) { s.parent = parentOf(s, spans, inAt); });
  groupMapReduce(spans);
  var roots = spans.filter(function (s) { return !s.parent; });
  spans.forEach(function (s) { if (s.parent) s.parent.children.push(s); });
  var flat = [];
  (function walk(list, level) {
    list.sort(function (a, b) { return a.start - b.start || a.depth - b.depth; }).forEach(function (s) { s.level = level; flat.push(s); walk(s.children, level + 1); });
  })(roots, 0);
  var t0 = Math.min.apply(null, flat.map(function (s) { return s.start; }));
  var t1 = Math.max.apply(null, flat.map(function (s) { return s.end; }));
  return { spans: flat, t0: t0, t1: Math.max(t1, t0 + 1) };
}
/** The caller: the agent that sent it (an outbound row's own agent, else the message's from). */
function callerOf(s) { return s.own ? s.agent : s.out ? s.out.agent : s.row.from; }
function parentOf(s, spans, inAt) {
  var r = s.row;
  if (!s.own) {
    var previous = (inAt[r.id] || []).filter(function (p) { return p !== s && p.depth === s.depth - 1 && p.row.outcome === "forwarded"; })[0];
    if (previous) return previous;
  }
  var caller = callerOf(s);
  if (!caller) return null;
  var own = s.own;
  var candidates = spans.filter(function (p) {
    return p !== s && p.agent === caller && p.start <= s.start + TOLERANCE_MS && (own ? !p.own : true);
  });
  // An observer's delivery belongs to the event its agent emitted; a call to the hop that made it.
  var events = candidates.filter(function (p) { return p.own && p.row.pattern === "fanout"; });
  if (r.pattern === "fanout" && events.length) candidates = events;
  else {
    var hops = candidates.filter(function (p) { return !p.own && p.depth === s.depth - 1; });
    if (hops.length) candidates = hops;
  }
  return candidates.sort(function (a, b) { return b.start - a.start; })[0] || null;
}
function groupMapReduce(spans) {
  var groups = {};
  spans.forEach(function (s) {
    if (s.parent || s.row.pattern !== "map-reduce") return;
    var key = s.row.from || "";
    (groups[key] = groups[key] || []).push(s);
  });
  Object.keys(groups).forEach(function (key) {
    var members = groups[key].sort(function (a, b) { return a.start - b.start; });
    var last = members[members.length - 1];
    var reducer = members.length > 1 && members.slice(0, -1).every(function (m) { return m.end <= last.start + TOLERANCE_MS; }) ? last : null;
    var group = { group: true, agent: "map-reduce", depth: -1, children: [], parent: null,
      start: members[0].start, end: Math.max.apply(null, members.map(function (m) { return m.end; })),
      row: { pattern: "map-reduce", outcome: members.some(function (m) { return SB.isFailure(m.row.outcome); }) ? "agent_error" : "ok", from: key || null } };
    var n = 0;
    members.forEach(function (m) { m.parent = group; m.role = m === reducer ? "reducer" : "mapper " + ++n; });
    group.label = n + " mappers side by side" + (reducer ? " → " + reducer.agent : "");
    spans.push(group);
  });
}
`;

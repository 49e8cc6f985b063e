/**
 * Browser JS of the overview's agent graph: who called whom within a window, from the agents' own
 * message logs (the rows the overview already loads). Each call is counted once, on the callee's
 * inbound row, whose caller is the message's `from`, the previous hop of a chain (the same message
 * one hop shallower), or the API's clients; a caller's outbound row counts only when
 * the callee never logged the call (refused before it arrived). Nodes are laid out in columns by
 * their longest distance from a caller nobody calls, and drawn as SVG: breaker state as the colour,
 * in-flight against the cap, edges with their count and error rate. A node opens the agent's page.
 * Defines `agentGraph(agents, sinceMs)` and `drawAgentGraph(svg, graph, idleList)`.
 */
export const AGENT_GRAPH = String.raw`
/** Not a valid agent name, so it can never be one. */
var OUTSIDE = "(clients)";
function agentGraph(agents, since) {
  var nodes = {}, edges = {}, seen = {}, inById = {};
  agents.forEach(function (a) { nodes[a.name] = { name: a.name, kind: a.kind, metrics: a.metrics, loaded: true }; });
  function node(name) { return nodes[name] = nodes[name] || { name: name, kind: name === OUTSIDE ? "clients" : "", loaded: false }; }
  function count(from, to, row) {
    if (from === to) return;
    var e = edges[from + ">" + to] = edges[from + ">" + to] || { from: node(from).name, to: node(to).name, count: 0, errors: 0, patterns: {} };
    e.count++;
    if (SB.isFailure(row.outcome)) e.errors++;
    e.patterns[row.pattern] = 1;
  }
  var rows = [];
  agents.forEach(function (a) {
    a.log.forEach(function (r) { if (Date.parse(r.at) >= since) rows.push(r); });
  });
  rows.forEach(function (r) {
    if (r.direction !== "in" || r.pattern === "reply") return;
    (inById[r.id] = inById[r.id] || []).push(r);
    seen[r.agent + "|" + r.id] = 1;
  });
  rows.forEach(function (r) {
    if (r.direction === "in") {
      if (r.pattern === "reply") return;
      var caller = r.from;
      if (r.pattern === "chain") {
        var previous = (inById[r.id] || []).filter(function (p) { return p.depth === (r.depth || 0) - 1; })[0];
        caller = previous ? previous.agent : null;
      }
      count(caller || OUTSIDE, r.agent, r);
    } else if (r.role !== "event" && !seen[r.to + "|" + r.id]) count(r.agent, r.to, r);
  });
  var list = Object.keys(edges).map(function (k) { return edges[k]; });
  var active = {};
  list.forEach(function (e) { active[e.from] = active[e.to] = 1; });
  return {
    nodes: Object.keys(nodes).filter(function (n) { return active[n]; }).sort().map(function (n) { return nodes[n]; }),
    idle: agents.filter(function (a) { return !active[a.name]; }).map(function (a) { return a.name; }),
    edges: list,
  };
}
/** Column of each node: its longest path from a node nobody calls, ignoring edges that close a cycle. */
function ranks(graph) {
  var rank = {}, out = {}, state = {};
  graph.nodes.forEach(function (n) { out[n.name] = []; rank[n.name] = 0; });
  graph.edges.forEach(function (e) { out[e.from].push(e.to); });
  var order = [];
  function visit(n) {
    if (state[n]) return;
    state[n] = 1;
    out[n].forEach(visit);
    order.push(n);
  }
  graph.nodes.forEach(function (n) { visit(n.name); });
  order.reverse();
  var position = {};
  order.forEach(function (n, i) { position[n] = i; });
  order.forEach(function (n) { out[n].forEach(function (m) { if (position[m] > position[n]) rank[m] = Math.max(rank[m], rank[n] + 1); }); });
  return rank;
}
`;

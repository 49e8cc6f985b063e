/**
 * Browser JS that turns one agent's log rows into the agent page's time series: per bucket of the
 * window, the calls it handled (ok / failed), p50/p95/p99 of their durations, and the most calls
 * that ran at once (a sweep over each call's start and end). Only inbound calls count; replies to
 * this agent's own requests are not calls it handled. Defines `agentSeries(rows, t0, t1, n)`.
 */
export const AGENT_SERIES = String.raw`
function quantile(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : null; }
function agentSeries(rows, t0, t1, n) {
  var width = (t1 - t0) / n, buckets = [];
  for (var i = 0; i < n; i++) buckets.push({ t: t0 + i * width, ok: 0, failed: 0, durations: [], concurrency: 0 });
  function index(t) { return Math.min(n - 1, Math.max(0, Math.floor((t - t0) / width))); }
  var calls = rows.filter(function (r) { return r.direction === "in" && r.pattern !== "reply" && Date.parse(r.at) >= t0; });
  var events = [];
  calls.forEach(function (r) {
    var b = buckets[index(Date.parse(r.at))];
    if (SB.isFailure(r.outcome)) b.failed++; else b.ok++;
    if (r.duration_ms !== null) b.durations.push(r.duration_ms);
    var start = Math.max(t0, SB.startOf(r));
    events.push([start, 1], [Date.parse(r.at), -1]);
  });
  // Starts before ends at the same instant: calls that touch count as overlapping.
  events.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
  var running = 0, last = 0;
  events.forEach(function (e) {
    var k = index(e[0]);
    for (var j = last + 1; j < k; j++) buckets[j].concurrency = Math.max(buckets[j].concurrency, running);
    if (k > last) buckets[k].concurrency = Math.max(buckets[k].concurrency, running);
    running += e[1];
    buckets[k].concurrency = Math.max(buckets[k].concurrency, running);
    last = k;
  });
  buckets.forEach(function (b) {
    var sorted = b.durations.sort(function (x, y) { return x - y; });
    b.p50 = quantile(sorted, 0.5); b.p95 = quantile(sorted, 0.95); b.p99 = quantile(sorted, 0.99);
  });
  var all = calls.map(function (r) { return r.duration_ms; }).filter(function (d) { return d !== null; }).sort(function (x, y) { return x - y; });
  return { buckets: buckets, width: width, calls: calls.length, p50: quantile(all, 0.5), p95: quantile(all, 0.95), p99: quantile(all, 0.99) };
}
`;

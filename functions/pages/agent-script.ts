/**
 * Browser JS of /dashboard/agents/:name: reads the agent's entry, metrics, breaker, log, dead
 * letters, observers and schedules (each from its own JSON route; a route this deployment lacks,
 * or the key may not read, leaves its section saying so) and draws them: charts over the chosen
 * window, the outcome breakdown, the breaker's timeline, recent messages, and the dead letters with
 * Inspect, Replay and Delete, and Replay all and Delete all (`POST /dlq/replay`, `DELETE /dlq?agent=`).
 * "Invoke this agent" sends one invoke with the session, its content prefilled from the agent's
 * `input_schema`, and shows the reply (or the problem) with its trace; streamed, it shows each step
 * and the deltas as they come (the SSE events of `Accept: text/event-stream`), with a Cancel button
 * (`DELETE /streams/:id`) while it runs.
 */
import { AGENT_SERIES } from "./agent-series";
import { CHART_VIEW } from "./chart-view";

export const AGENT_SCRIPT =
  AGENT_SERIES +
  CHART_VIEW +
  String.raw`
(function () {
  var el = SB.el, name = SB.$("agent").getAttribute("data-agent"), base = "/agents/" + encodeURIComponent(name), BUCKETS = 30, last = null;
  function optional(path) { return SB.api("GET", path).catch(function (err) { return { unavailable: err.message }; }); }
  function kv(box, pairs) {
    var dl = el("dl", { class: "kv" });
    pairs.forEach(function (p) { dl.appendChild(el("dt", null, p[0])); dl.appendChild(el("dd", null, p[1])); });
    box.replaceChildren(dl);
  }
  function table(box, headings, rows, empty) {
    var t = el("table", null, [el("thead", null, el("tr", null, headings.map(function (h) { return el("th", null, h); }))), el("tbody")]);
    rows.forEach(function (r) { t.tBodies[0].appendChild(r); });
    box.replaceChildren(rows.length ? el("div", { class: "scroll" }, t) : el("p", { class: "muted" }, empty));
  }
  function outcome(o) { return el("span", { class: SB.outcomeClass(o) }, o); }
  function summary(entry, m, breaker, s) {
    var state = breaker.state;
    SB.$("badges").replaceChildren(el("span", { class: "pill" }, entry.kind), " ", el("span", { class: "pill " + SB.outcomeClass(state), "data-breaker": state }, "breaker " + state.replace("_", "-")));
    SB.$("description").textContent = entry.description || "";
    var cap = m.max_concurrency, used = m.in_flight, gauge = el("span", { class: "gauge", role: "meter", "aria-valuemin": 0, "aria-valuemax": cap, "aria-valuenow": used, "aria-label": "in flight" }, el("span"));
    gauge.firstChild.style.width = Math.min(100, (100 * used) / Math.max(1, cap)) + "%";
    kv(SB.$("now"), [["in flight", [gauge, " " + used + " / " + cap]], ["calls in window", s.calls], ["p50 / p95 / p99", SB.ms(s.p50) + " / " + SB.ms(s.p95) + " / " + SB.ms(s.p99)],
      ["retries", m.retries], ["handles", (entry.handles || []).join(", ") || "—"], ["next", entry.next || "—"]]);
  }
  function charts(rows, m, t0, t1) {
    var s = agentSeries(rows, t0, t1, BUCKETS), mid = function (b) { return b.t + s.width / 2; };
    barChart(SB.$("throughput"), { label: "calls per bucket", t0: t0, t1: t1, width: s.width, stacks: [{ name: "ok", cls: "ok" }, { name: "failed", cls: "bad" }],
      buckets: s.buckets.map(function (b) { return { t: b.t, values: { ok: b.ok, failed: b.failed } }; }) });
    lineChart(SB.$("latency"), { label: "latency percentiles", t0: t0, t1: t1, format: SB.ms, series: ["p50", "p95", "p99"].map(function (q, i) {
      return { name: q, cls: ["ok", "warn", "bad"][i], points: s.buckets.map(function (b) { return [mid(b), b[q]]; }) };
    }) });
    lineChart(SB.$("concurrency"), { label: "concurrency against the cap", t0: t0, t1: t1, cap: m.max_concurrency, format: function (v) { return String(Math.round(v)); },
      series: [{ name: "most at once", cls: "info", points: s.buckets.map(function (b) { return [mid(b), b.concurrency]; }) }] });
    return s;
  }
  function outcomes(m) {
    var inbound = (m.messages || []).filter(function (x) { return x.direction === "in"; }).sort(function (a, b) { return b.count - a.count; });
    var total = inbound.reduce(function (n, x) { return n + x.count; }, 0), bar = el("div", { class: "stack", role: "img", "aria-label": "outcomes" });
    inbound.forEach(function (x) {
      var part = el("span", { class: "part " + SB.outcomeClass(x.outcome), "data-outcome": x.outcome, title: x.outcome + ": " + x.count });
      part.style.width = (100 * x.count) / total + "%";
      bar.appendChild(part);
    });
    SB.$("outcomes").replaceChildren(total ? bar : el("p", { class: "muted" }, "no calls yet"),
      el("ul", { class: "counts" }, inbound.map(function (x) { return el("li", { "data-outcome": x.outcome }, [outcome(x.outcome), " " + x.count + " (" + Math.round((100 * x.count) / total) + "%)"]); })));
  }
  /** What the breaker was before a change: open before half-open, closed before open, open before closed (a reset or a probe). */
  var BEFORE = { open: "closed", half_open: "open", closed: "open" };
  function timeline(b, t1) {
    var changes = b.transitions || [], box = SB.$("breaker");
    var t0 = Math.min(t1 - 60000, changes.length ? Date.parse(changes[0].at) : t1), band = el("div", { class: "band" });
    // Before the first change kept, the breaker was in the state that change left.
    var segments = [{ state: changes.length ? BEFORE[changes[0].state] : b.state, from: t0 }].concat(changes.map(function (c) { return { state: c.state, from: Date.parse(c.at) }; }));
    segments.forEach(function (seg, i) {
      var to = i + 1 < segments.length ? segments[i + 1].from : t1, part = el("span", { class: "seg " + SB.outcomeClass(seg.state), "data-state": seg.state, title: seg.state + " from " + new Date(seg.from).toLocaleTimeString() });
      part.style.left = (100 * (seg.from - t0)) / (t1 - t0) + "%";
      part.style.width = Math.max(0.5, (100 * (to - seg.from)) / (t1 - t0)) + "%";
      band.appendChild(part);
    });
    box.replaceChildren(band, el("ol", { class: "transitions" }, changes.slice().reverse().map(function (c) {
      return el("li", { "data-state": c.state }, [el("time", { datetime: c.at }, new Date(c.at).toLocaleTimeString()), " ", outcome(c.state)]);
    })), el("p", { class: "muted" }, b.state === "open" ? b.failures + " failures; next probe " + new Date(b.next_probe_at).toLocaleTimeString() : changes.length ? "" : "never opened"));
  }
  function messages(rows) {
    table(SB.$("messages"), ["time", "dir", "from → to", "pattern", "outcome", "duration", "preview", "trace"], rows.slice(0, 30).map(function (r) {
      return el("tr", { class: "message" }, [r.at.slice(11, 23), r.direction, (r.from || "admin") + " → " + r.to, r.pattern, outcome(r.outcome), SB.ms(r.duration_ms), el("pre", null, r.preview), SB.traceLink(r.trace_id)].map(function (c) { return el("td", null, c); }));
    }), "no messages yet");
  }
  // Says what an action did (describe its answer) or why it failed (what it was), then draws the page again.
  function report(answer, what, describe) {
    answer.then(function (r) { SB.$("act").textContent = describe(r); return refresh(); }, function (err) { SB.$("act").textContent = what + ": " + err.message; });
  }
  function act(method, path, done) { report(SB.api(method, path), method + " " + path, function () { return done; }); }
  // Every letter, 100 a call, passing each answer's cursor back (at most 50 calls: 5000 letters; the rest show as left).
  function replayAll() {
    var replayed = 0, failed = [];
    function step(cursor, calls) {
      return SB.api("POST", "/dlq/replay", cursor ? { agent: name, cursor: cursor } : { agent: name }).then(function (r) {
        replayed += r.replaying.length;
        failed = failed.concat(r.failed);
        return r.cursor && calls < 50 ? step(r.cursor, calls + 1) : r.remaining;
      });
    }
    report(step(null, 1), "POST /dlq/replay", function (left) {
      return "replaying " + replayed + " of " + name + "'s dead letters" +
        (failed.length ? ", " + failed.length + " could not be (" + failed[0].code + ")" : "") + ", " + left + " left";
    });
  }
  function deleteAll() {
    if (!confirm("Delete every dead letter of " + name + "? Their messages are gone for good.")) return;
    report(SB.api("DELETE", "/dlq?agent=" + encodeURIComponent(name)), "DELETE /dlq", function (r) {
      return "deleted " + r.deleted + " of " + name + "'s dead letters" + (r.replaying ? ", " + r.replaying + " still replaying" : "");
    });
  }
  function deadLetters(page) {
    if (page.unavailable) return SB.$("dlq").replaceChildren(el("p", { class: "muted" }, "dead letters: " + page.unavailable));
    var dead = page.entries.some(function (d) { return d.status === "dead"; });
    var all = el("button", { type: "button", "data-action": "replay-all", hidden: dead ? null : "" }, "Replay all");
    var purge = el("button", { type: "button", "data-action": "delete-all", hidden: dead ? null : "" }, "Delete all");
    all.addEventListener("click", replayAll);
    purge.addEventListener("click", deleteAll);
    SB.$("dlq-actions").replaceChildren(all, " ", purge);
    table(SB.$("dlq"), ["id", "status", "error", "attempts", "last failed", ""], page.entries.map(function (d) {
      var path = "/dlq/" + encodeURIComponent(d.id), details = el("pre", { class: "inspect", hidden: "" }, JSON.stringify(d, null, 2));
      var inspect = el("button", { type: "button", "data-action": "inspect", "aria-expanded": "false" }, "Inspect");
      inspect.addEventListener("click", function () { var open = details.hidden; details.hidden = !open; inspect.setAttribute("aria-expanded", String(open)); });
      var replay = el("button", { type: "button", "data-action": "replay" }, "Replay"), del = el("button", { type: "button", "data-action": "delete" }, "Delete");
      replay.addEventListener("click", function () { act("POST", path + "/replay", "replayed " + d.id); });
      del.addEventListener("click", function () { act("DELETE", path, "deleted " + d.id); });
      return el("tr", { class: "dead-letter", "data-id": d.id }, [el("code", null, d.id), d.status, d.error ? d.error.code + ": " + d.error.detail : "", d.attempts, d.last_failed_at,
        el("span", { class: "actions" }, [inspect, " ", replay, " ", del, details])].map(function (c) { return el("td", null, c); }));
    }), "no dead letters");
  }
  /** Content that fits 'schema' (an input_schema), for the invoke form to start from: its example, default or first enum value, else a blank of its type. */
  function sample(schema, depth) {
    if (!schema || typeof schema !== "object") return "hello";
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if (schema.default !== undefined) return schema.default;
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    var type = Array.isArray(schema.type) ? schema.type[0] : schema.type, props = schema.properties || {};
    if (type === "object") {
      var out = {};
      if (depth < 4) (schema.required || Object.keys(props)).forEach(function (k) { out[k] = sample(props[k] || {}, depth + 1); });
      return out;
    }
    if (type === "array") return [];
    if (type === "number" || type === "integer") return typeof schema.minimum === "number" ? schema.minimum : 0;
    if (type === "boolean") return false;
    if (type === "null") return null;
    return "";
  }
  var prefilled = false;
  function prefill(entry) {
    var box = SB.$("try-content");
    // Never under the caret: someone who already clicked into the box is about to type their own.
    if (prefilled || box.value || document.activeElement === box) return;
    prefilled = true;
    box.value = JSON.stringify(sample(entry.input_schema, 0), null, 2);
  }
  /**
   * POST with Accept: text/event-stream; each SSE event (its name and parsed data) goes to onEvent as it arrives, until wanted()
   * says the caller moved on. A refusal before the stream is an Error, as SB.api gives it.
   */
  function streamed(path, body, onEvent, wanted) {
    return fetch(path, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "x-switchboard-csrf": "1", "content-type": "application/json", accept: "text/event-stream" } }).then(function (res) {
      if (!res.ok || !/event-stream/.test(res.headers.get("content-type") || "")) {
        return res.json().catch(function () { return {}; }).then(function (p) { var err = new Error(p.detail || res.statusText); err.status = res.status; throw err; });
      }
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffered = "";
      function frame(block) {
        var name = "message", data = [];
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) name = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
        });
        if (!data.length) return;
        var value = data.join("\n");
        try { value = JSON.parse(value); } catch (e) {}
        onEvent(name, value);
      }
      function pump() {
        if (!wanted()) return reader.cancel();
        return reader.read().then(function (r) {
          if (r.done || !wanted()) return;
          buffered += decoder.decode(r.value, { stream: true }).replace(/\r\n/g, "\n");
          var end;
          while ((end = buffered.indexOf("\n\n")) >= 0) { frame(buffered.slice(0, end)); buffered = buffered.slice(end + 2); }
          return pump();
        });
      }
      return pump();
    });
  }
  // The newest call owns the form; a stream it replaced is cancelled (DELETE /streams/:id) and no longer drawn.
  var calls = 0, stopStreaming = null;
  function invoke(event) {
    event.preventDefault();
    var text = SB.$("try-content").value, content, status = SB.$("try-status"), out = SB.$("try-reply"), started = Date.now();
    var live = SB.$("try-live"), steps = SB.$("try-steps"), stream = SB.$("try-stream").checked;
    try { content = JSON.parse(text); } catch (e) { content = text; }
    status.className = "muted";
    status.textContent = "sending…";
    SB.$("try-trace").replaceChildren();
    [out, live, steps].forEach(function (box) { box.hidden = true; box.replaceChildren(); });
    var cancel = SB.$("try-cancel"), call = ++calls;
    cancel.hidden = true;
    if (stopStreaming) stopStreaming();
    stopStreaming = null;
    function current() { return call === calls; }
    function done() { if (current()) { cancel.hidden = true; cancel.onclick = null; stopStreaming = null; } }
    function replied(reply) {
      if (!current()) return;
      var waiting = reply && reply.request_id && !reply.role, tp = reply && reply.trace && reply.trace.traceparent;
      status.className = "ok";
      status.textContent = (waiting ? "waiting for input as " + reply.request_id : "replied") + " in " + SB.ms(Date.now() - started);
      if (tp) SB.$("try-trace").replaceChildren("trace ", SB.traceLink(tp.split("-")[1]));
      out.textContent = JSON.stringify(reply, null, 2);
      out.hidden = false;
      refresh();
    }
    function failed(err) {
      if (!current()) return;
      status.className = "bad";
      status.textContent = (err.status ? err.status + ": " : "") + err.message;
    }
    if (!stream) return SB.api("POST", base + "/invoke", { content: content }).then(replied, failed);
    streamed(base + "/invoke", { content: content }, function (name, data) {
      if (!current()) return;
      if (name === "start") {
        status.textContent = "streaming " + data.stream_id + "…";
        // DELETE /streams/:id stops the call and every hop under it now; the stream then ends with its cancelled error event.
        cancel.hidden = false;
        cancel.disabled = false;
        var stop = function () { return SB.api("DELETE", "/streams/" + encodeURIComponent(data.stream_id)); };
        cancel.onclick = function () {
          cancel.disabled = true;
          stop().catch(function (err) { cancel.disabled = false; failed(err); });
        };
        stopStreaming = function () { stop().catch(function () {}); };
      }
      else if (name === "delta") { live.hidden = false; live.appendChild(document.createTextNode(typeof data.text === "string" ? data.text : JSON.stringify(data.value))); }
      else if (name === "step") {
        steps.hidden = false;
        steps.appendChild(el("li", { "data-step": data.type }, [data.type + " " + (data.tool || data.request_id || "") + " ", data.outcome ? outcome(data.outcome) : "", data.duration_ms !== undefined ? " " + SB.ms(data.duration_ms) : ""]));
      } else if (name === "reply") replied(data);
      else if (name === "error") {
        failed({ status: data.status, message: data.code + ": " + data.detail });
        // Stopped on purpose (Cancel, or DELETE /streams/:id from elsewhere): not a failure of the agent.
        if (data.code === "cancelled") status.className = "muted";
      }
      if (name === "reply" || name === "error") done();
    }, current).catch(failed).then(done);
  }
  SB.$("try-form").addEventListener("submit", invoke);
  function listOf(box, what, answer, items, show) {
    if (answer.unavailable) return box.replaceChildren(el("p", { class: "muted" }, what + ": " + answer.unavailable));
    box.replaceChildren(items.length ? el("ul", null, items.map(function (i) { return el("li", null, show(i)); })) : el("p", { class: "muted" }, "no " + what));
  }
  function render(r) {
    last = r;
    var entry = r[0], m = r[1], breaker = r[2], rows = r[3].entries, t1 = Date.now(), t0 = t1 - Number(SB.$("window").value);
    var s = charts(rows, m, t0, t1);
    summary(entry, m, breaker, s);
    prefill(entry);
    outcomes(m);
    timeline(breaker, t1);
    messages(rows);
    deadLetters(r[4]);
    listOf(SB.$("observers"), "observers", r[5], r[5].observers || [], function (o) { return o.observer ? SB.agentLink(o.observer) : el("code", null, o.url); });
    listOf(SB.$("schedules"), "schedules", r[6], r[6].schedules || [], function (x) { return [el("code", null, x.cron || "every " + SB.ms(x.every_ms)), " next " + (x.next_at || "—")]; });
  }
  // Which optional routes this deployment serves, asked once: a request to a missing one would be a 404 in the console.
  var served = SB.api("GET", "/openapi.json").then(function (doc) { return doc.paths; }, function () { return {}; });
  function ifServed(paths, path, url) { return paths[path] ? optional(url) : Promise.resolve({ unavailable: "not available in this deployment" }); }
  function load() {
    return served.then(function (paths) {
      return Promise.all([SB.api("GET", base), SB.api("GET", base + "/metrics"), SB.api("GET", base + "/breaker"), SB.api("GET", base + "/log?limit=1000"),
        optional("/dlq?agent=" + encodeURIComponent(name) + "&limit=50"), ifServed(paths, "/agents/{name}/observers", base + "/observers"),
        ifServed(paths, "/agents/{name}/schedules", base + "/schedules")]);
    }).then(render);
  }
  var loop = SB.live(load, 5000);
  function refresh() { loop.refresh(); }
  SB.$("window").addEventListener("change", function () { if (last) render(last); });
})();
`;

/**
 * The overview's browser script: plain JS, no build step, on the helpers of browser-kit.ts. It
 * reads the public JSON API with the session cookie and renders every value as text, so message
 * content can never become markup. Mutations (DLQ replay and delete, answering or cancelling a
 * waiting request) send the CSRF header. An answer being typed survives the refresh.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  // The shared helpers of every view (browser-kit.ts): text-only DOM, the API with the CSRF header, links.
  var $ = SB.$, el = SB.el, api = SB.api, ms = SB.ms, traceLink = SB.traceLink;
  function row(cells, attrs) {
    var tr = el("tr", attrs);
    cells.forEach(function (c) {
      var td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? "" : String(c);
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(tbody, rows, empty, cols) {
    tbody.replaceChildren();
    if (!rows.length) { var tr = el("tr"); var td = el("td", { colspan: String(cols), class: "muted" }, empty); tr.appendChild(td); tbody.appendChild(tr); }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function stateCell(state) { return el("span", { class: state === "closed" ? "ok" : state === "open" ? "bad" : "warn" }, state); }
  function status(text, bad) { var s = $("status"); s.textContent = text; s.className = bad ? "bad" : "muted"; }

  // What holds the agent's async deliveries back: the pause, flow control, a later deliver_at.
  function deliveries(d) {
    if (!d) return "—";
    var parts = (d.paused ? ["paused"] : []).concat(d.held ? [d.held + " held"] : [], d.scheduled ? [d.scheduled + " scheduled"] : []);
    return d.paused ? el("span", { class: "warn" }, parts.join(" · ")) : parts.join(" · ") || "flowing";
  }
  function showSchedules(schedules) {
    fill($("schedules"), schedules.map(function (s) {
      var when = s.cron ? s.cron + " (" + (s.timezone || "UTC") + ")" : "every " + s.every_ms + " ms";
      return row([s.agent, s.id, when, s.paused ? el("span", { class: "warn" }, "paused") : s.next_at || "never again", s.catch_up, s.fired,
        s.last_error ? el("span", { class: "bad" }, s.last_error.code) : ""], { class: "schedule", "data-id": s.id });
    }), "no schedules", 7);
  }

  // The directory a page at a time (GET /agents is paginated), so a refresh costs the page, not the deployment.
  var AGENTS_PAGE = 50;
  var agentPages = { cursor: null, next: null, number: 1 };
  function loadAgents() {
    var path = "/agents?limit=" + AGENTS_PAGE + (agentPages.cursor ? "&cursor=" + encodeURIComponent(agentPages.cursor) : "");
    return api("GET", path).then(function (list) {
      agentPages.next = list.next_cursor;
      $("agents-next").disabled = !list.next_cursor;
      $("agents-first").disabled = agentPages.number === 1;
      $("agents-page").textContent = "page " + agentPages.number + (list.next_cursor ? "" : " (last)");
      var names = list.agents.map(function (a) { return a.name; });
      return Promise.all(names.map(function (name) {
        return Promise.all([
          api("GET", "/agents/" + name + "/metrics").catch(function () { return null; }),
          api("GET", "/agents/" + name + "/log?limit=__GRAPH_ROWS__").catch(function () { return { entries: [] }; }),
          api("GET", "/agents/" + name + "/requests?status=input_required&limit=20").catch(function () { return { requests: [] }; }),
        ]).then(function (r) { return { entry: list.agents[names.indexOf(name)], metrics: r[0], log: r[1].entries.map(function (e) { e.agent = name; return e; }), waiting: r[2].requests }; });
      }));
    }).then(function (agents) {
      var withSchedules = agents.filter(function (a) { return a.metrics && a.metrics.deliveries && a.metrics.deliveries.schedules > 0; });
      return Promise.all(withSchedules.map(function (a) {
        return api("GET", "/agents/" + a.entry.name + "/schedules").then(function (r) { return r.schedules; }).catch(function () { return []; });
      })).then(function (lists) { showSchedules([].concat.apply([], lists)); return agents; });
    }).then(function (agents) {
      lastAgents = agents;
      drawGraph();
      fill($("agents"), agents.map(function (a) {
        var m = a.metrics || {};
        var inbound = (m.messages || []).filter(function (s) { return s.direction === "in"; });
        var ok = inbound.filter(function (s) { return s.outcome === "ok" || s.outcome === "forwarded"; }).reduce(function (n, s) { return n + s.count; }, 0);
        var failed = inbound.reduce(function (n, s) { return n + s.count; }, 0) - ok;
        return row([SB.agentLink(a.entry.name), a.entry.kind, m.breaker ? stateCell(m.breaker.state) : "—", m.in_flight === undefined ? "—" : m.in_flight + " / " + m.max_concurrency,
          deliveries(m.deliveries), m.deliveries && m.deliveries.next_firing_at ? m.deliveries.next_firing_at : "—",
          ms(m.latency_ms && m.latency_ms.p50), ms(m.latency_ms && m.latency_ms.p95), ok, failed], { "data-agent": a.entry.name });
      }), "no agents", 10);
      showWaiting([].concat.apply([], agents.map(function (a) { return a.waiting; })));
      var messages = [].concat.apply([], agents.map(function (a) { return a.log; }))
        .sort(function (x, y) { return x.at < y.at ? 1 : x.at > y.at ? -1 : 0; }).slice(0, 40);
      fill($("messages"), messages.map(function (m) {
        return row([m.at.slice(11, 23), m.agent, m.direction, (m.from || "admin") + " → " + m.to, m.pattern,
          el("span", { class: m.outcome === "ok" || m.outcome === "forwarded" ? "ok" : "bad" }, m.outcome), ms(m.duration_ms), el("pre", null, m.preview), traceLink(m.trace_id)], { class: "message" });
      }), "no messages yet", 9);
    });
  }

  // What a person typed into an answer box, by request id, so a refresh never loses it.
  var drafts = {};
  function showWaiting(requests) {
    var tbody = $("waiting");
    // Never pull the box out from under someone typing: the next refresh shows the changes.
    if (tbody.contains(document.activeElement) && document.activeElement.tagName === "TEXTAREA") return;
    requests.sort(function (x, y) { return x.created_at < y.created_at ? -1 : x.created_at > y.created_at ? 1 : 0; });
    fill(tbody, requests.map(function (r) {
      var ask = r.input_required || {};
      var question = el("div", null, [el("div", null, ask.question), ask.schema ? el("pre", { class: "muted" }, JSON.stringify(ask.schema)) : null]);
      var box = el("textarea", { "data-answer": r.request_id, "aria-label": "answer to " + r.request_id, placeholder: ask.schema ? "JSON matching the schema" : "your answer" });
      box.value = drafts[r.request_id] || "";
      box.addEventListener("input", function () { drafts[r.request_id] = box.value; });
      var answer = el("button", { type: "button", "data-action": "answer", "data-id": r.request_id }, "Answer");
      var cancel = el("button", { type: "button", "data-action": "cancel", "data-id": r.request_id }, "Cancel");
      answer.addEventListener("click", function () {
        var text = box.value.trim(), content = text;
        try { content = JSON.parse(text); } catch (e) { /* plain text is an answer too */ }
        api("POST", "/requests/" + encodeURIComponent(r.request_id) + "/input", { content: content }).then(function () {
          delete drafts[r.request_id];
          return refresh().then(function () { status("answered " + r.request_id); });
        }, function (err) { status("answer " + r.request_id + ": " + err.message, true); });
      });
      cancel.addEventListener("click", function () { act("DELETE", "/requests/" + encodeURIComponent(r.request_id), "cancelled " + r.request_id); });
      return row([r.created_at.slice(0, 19).replace("T", " "), SB.agentLink(r.agent), el("span", { class: "mono" }, r.request_id), question, box,
        el("span", null, [answer, " ", cancel])], { class: "waiting", "data-id": r.request_id });
    }), "no request is waiting for input", 6);
  }

  var lastAgents = [];
  function drawGraph() {
    var since = Date.now() - Number($("graph-window").value);
    var graph = agentGraph(lastAgents.map(function (a) { return { name: a.entry.name, kind: a.entry.kind, metrics: a.metrics, log: a.log }; }), since);
    drawAgentGraph($("graph"), graph);
    $("graph-idle").replaceChildren();
    if (graph.idle.length) {
      $("graph-idle").appendChild(document.createTextNode("no calls in this window: "));
      graph.idle.forEach(function (name, i) { if (i) $("graph-idle").appendChild(document.createTextNode(", ")); $("graph-idle").appendChild(SB.agentLink(name)); });
    }
  }

  function loadDlq() {
    return api("GET", "/dlq?limit=50").then(function (page) {
      fill($("dlq"), page.entries.map(function (d) {
        var actions = el("span");
        var replay = el("button", { type: "button", "data-action": "replay", "data-id": d.id }, "Replay");
        var del = el("button", { type: "button", "data-action": "delete", "data-id": d.id }, "Delete");
        replay.addEventListener("click", function () { act("POST", "/dlq/" + encodeURIComponent(d.id) + "/replay", "replayed " + d.id); });
        del.addEventListener("click", function () { act("DELETE", "/dlq/" + encodeURIComponent(d.id), "deleted " + d.id); });
        actions.appendChild(replay); actions.appendChild(document.createTextNode(" ")); actions.appendChild(del);
        var message = d.message || {};
        // The agent's own page replays or deletes all of its letters at once.
        return row([d.id, SB.agentLink(d.agent), d.status || "dead", d.error ? d.error.code + ": " + d.error.detail : "", d.attempts, d.last_failed_at,
          el("pre", null, JSON.stringify(message.content === undefined ? message : message.content).slice(0, 200)), actions], { class: "dead-letter", "data-id": d.id });
      }), "the dead-letter queue is empty", 8);
    }).catch(function (err) { fill($("dlq"), [], "DLQ unavailable: " + err.message, 8); });
  }

  function act(method, path, done) {
    api(method, path).then(function () { return refresh().then(function () { status(done); }); },
      function (err) { status(method + " " + path + ": " + err.message, true); });
  }

  function showTrace() {
    var id = $("trace-id").value.trim().toLowerCase();
    if (id) location.assign("/dashboard/traces/" + encodeURIComponent(id));
  }

  function refresh() {
    status("refreshing…");
    return Promise.all([loadAgents(), loadDlq()]).then(function () { status("updated " + new Date().toLocaleTimeString()); $("main").setAttribute("data-loaded", "1"); },
      function (err) { status(err.message, true); });
  }
  $("refresh").addEventListener("click", function () { loop.refresh(); });
  $("agents-next").addEventListener("click", function () {
    if (!agentPages.next) return;
    agentPages = { cursor: agentPages.next, next: null, number: agentPages.number + 1 };
    loop.refresh();
  });
  $("agents-first").addEventListener("click", function () { agentPages = { cursor: null, next: null, number: 1 }; loop.refresh(); });
  $("graph-window").addEventListener("change", drawGraph);
  $("trace-form").addEventListener("submit", function (ev) { ev.preventDefault(); showTrace(); });
  var loop = SB.live(refresh, 10000);
})();
`;

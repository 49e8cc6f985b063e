/**
 * Browser JS of /dashboard/traces/:id: draws `buildSpans`' tree as a waterfall — one row per span,
 * indented by nesting, a bar on the trace's time axis coloured by outcome (the caller's wait drawn
 * faint around the callee's own time) — and shows a span's message when it is chosen. Arrow keys
 * move between spans. Polls while live, because the trace index fills in within about a second.
 */
import { TRACE_SPANS } from "./trace-spans";

export const TRACE_SCRIPT =
  TRACE_SPANS +
  String.raw`
(function () {
  var el = SB.el, traceId = SB.$("trace-layout").getAttribute("data-trace"), shown = -1, selected = null;
  function pct(v, t) { return (100 * (v - t.t0)) / (t.t1 - t.t0); }
  function keyOf(s) { return s.group ? "group:" + s.agent : s.row.agent + "|" + s.row.direction + "|" + s.row.id; }
  function label(s) {
    if (s.group) return [el("span", { class: "agent" }, "map-reduce"), " ", el("span", { class: "muted" }, s.label)];
    var r = s.row;
    return [el("span", { class: "agent" }, s.own ? r.agent + " → " + r.to : s.agent), " ", el("span", { class: "pill" }, s.role || r.pattern)];
  }
  function bar(s, t) {
    var outer = el("span", { class: "bar " + SB.outcomeClass(s.row.outcome) + (s.own && !s.row.duration_ms ? " point" : "") });
    outer.style.left = pct(s.start, t) + "%";
    outer.style.width = Math.max(0.6, pct(s.end, t) - pct(s.start, t)) + "%";
    if (s.out && !s.own && s.row.duration_ms !== null) {
      // The callee's own time inside the caller's wait.
      var own = el("span", { class: "inner" }), whole = Math.max(1, s.end - s.start), start = SB.startOf(s.row) - s.start;
      own.style.left = (100 * start) / whole + "%";
      own.style.width = Math.max(2, (100 * (s.row.duration_ms || 0)) / whole) + "%";
      outer.classList.add("waited");
      outer.appendChild(own);
    }
    return el("span", { class: "track" }, outer);
  }
  function describe(s) {
    var r = s.row, box = SB.$("detail");
    if (s.group) {
      box.replaceChildren(el("h2", null, "map-reduce"), el("p", null, s.label + ", " + SB.ms(s.end - s.start) + " in all."));
      return;
    }
    var rows = [["agent", SB.agentLink(r.agent)], ["direction", r.direction], ["from → to", (r.from || "admin") + " → " + r.to], ["pattern", r.pattern],
      ["outcome", el("span", { class: SB.outcomeClass(r.outcome) }, r.outcome)], ["started", new Date(SB.startOf(r)).toISOString()],
      ["duration", SB.ms(r.duration_ms)], s.out && !s.own ? ["caller waited", SB.ms(s.out.duration_ms)] : null, ["depth", r.depth],
      ["message id", el("code", null, r.id)], r.request_id ? ["request id", el("code", null, r.request_id)] : null];
    var dl = el("dl", { class: "kv" });
    rows.forEach(function (kv) { if (kv) { dl.appendChild(el("dt", null, kv[0])); dl.appendChild(el("dd", null, kv[1])); } });
    box.replaceChildren(el("h2", null, s.own ? r.agent + " → " + r.to : r.agent), dl,
      el("h3", null, "content (preview)"), el("pre", { class: "preview" }, r.preview === null ? "—" : r.preview));
    if (r.detail) { box.appendChild(el("h3", { class: "bad" }, "problem")); box.appendChild(el("pre", { class: "problem" }, r.detail)); }
  }
  function choose(s, li) {
    selected = keyOf(s);
    SB.$("spans").querySelectorAll("li[aria-current]").forEach(function (n) { n.removeAttribute("aria-current"); });
    li.setAttribute("aria-current", "true");
    describe(s);
  }
  function axis(t) {
    var ticks = SB.$("ticks");
    ticks.replaceChildren();
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var tick = el("span", { class: "tick" }, SB.ms((t.t1 - t.t0) * f));
      tick.style.left = f * 100 + "%";
      ticks.appendChild(tick);
    });
  }
  function summary(data, t) {
    var failed = t.spans.filter(function (s) { return !s.group && SB.isFailure(s.row.outcome); }).length;
    var chain = t.spans.filter(function (s) { return !s.group && s.row.pattern === "chain"; });
    var parts = [t.spans.length + " spans across " + data.agents.length + " agents", SB.ms(t.t1 - t.t0) + " end to end",
      failed ? failed + " failed" : "no failures"];
    if (chain.length) parts.push("chain path: " + [chain[0].parent ? chain[0].parent.agent : ""].concat(chain.map(function (s) { return s.agent; })).filter(Boolean).join(" → "));
    SB.$("summary").textContent = parts.join(" · ");
  }
  function render(data) {
    if (data.messages.length === shown) return;
    shown = data.messages.length;
    var list = SB.$("spans");
    if (!data.messages.length) { list.replaceChildren(el("li", { class: "muted" }, "No messages for this trace yet (the index fills in within about a second).")); return; }
    var t = buildSpans(data.messages);
    axis(t);
    summary(data, t);
    list.replaceChildren();
    t.spans.forEach(function (s, i) {
      var r = s.row;
      var name = el("span", { class: "label" }, label(s));
      name.style.paddingLeft = s.level * 1.1 + "rem";
      var button = el("button", { type: "button", class: "span-row", title: (s.group ? s.label : r.agent + " " + r.pattern + " " + r.outcome) + ", " + SB.ms(s.end - s.start) },
        [name, bar(s, t), el("span", { class: "dur" }, SB.ms(s.group ? s.end - s.start : r.duration_ms))]);
      var li = el("li", { class: "span", "data-index": i, "data-agent": s.agent, "data-pattern": r.pattern, "data-outcome": r.outcome, "data-level": s.level,
        "data-role": s.role || (s.group ? "group" : s.own ? r.role : "hop") }, button);
      button.addEventListener("click", function () { choose(s, li); });
      button.addEventListener("keydown", function (ev) {
        var next = ev.key === "ArrowDown" ? li.nextElementSibling : ev.key === "ArrowUp" ? li.previousElementSibling : null;
        if (next) { ev.preventDefault(); next.querySelector("button").focus(); }
      });
      list.appendChild(li);
      if (keyOf(s) === selected) choose(s, li);
    });
  }
  SB.live(function () { return SB.api("GET", "/traces/" + traceId).then(render); }, 3000);
})();
`;

/**
 * The helpers every dashboard view's browser script shares, as plain JS (no build step): DOM and
 * SVG builders that only ever set text with textContent (so agent-supplied content can never become
 * markup), the JSON API with the session cookie and the CSRF header, outcome classes, and the live
 * loop that polls while the tab is visible and shows its state. Defines one global, `SB`.
 */
export const BROWSER_KIT = String.raw`
var SB = (function () {
  var CSRF = { "x-switchboard-csrf": "1" };
  var SVG_NS = "http://www.w3.org/2000/svg";
  function $(id) { return document.getElementById(id); }
  function fillNode(e, attrs, children) {
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    [].concat(children === undefined ? [] : children).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  /** An element; children are nodes or values shown as text (never parsed as HTML). */
  function el(tag, attrs, children) { return fillNode(document.createElement(tag), attrs, children); }
  function svg(tag, attrs, children) { return fillNode(document.createElementNS(SVG_NS, tag), attrs, children); }
  /** A JSON body, when given, is sent as application/json (answering a waiting request). */
  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: CSRF };
    if (body !== undefined) init = { method: method, credentials: "same-origin", headers: { "x-switchboard-csrf": "1", "content-type": "application/json" }, body: JSON.stringify(body) };
    return fetch(path, init).then(function (res) {
      if (res.status === 401) { location.reload(); throw new Error("signed out"); }
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
        if (!res.ok) { var err = new Error((body && body.detail) || res.statusText); err.status = res.status; throw err; }
        return body;
      });
    });
  }
  function ms(v) {
    if (v === null || v === undefined) return "—";
    return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + " s" : Math.round(v * 10) / 10 + " ms";
  }
  var GOOD = { ok: 1, forwarded: 1, replied: 1, closed: 1 };
  var PASSING = { enqueued: 1, scheduled: 1, pending: 1, duplicate: 1, half_open: 1 };
  var SOFT = { cancelled: 1, late: 1, unknown: 1 };
  /** ok (green), info (blue, on its way), warn (amber, dropped on purpose), bad (red, a failure). */
  function outcomeClass(outcome) {
    return GOOD[outcome] ? "ok" : PASSING[outcome] ? "info" : SOFT[outcome] ? "warn" : "bad";
  }
  function isFailure(outcome) { return outcomeClass(outcome) === "bad"; }
  /** A log row's 'at' is when it was written, at the end of the call: its start is at − duration. */
  function startOf(row) { return Date.parse(row.at) - (row.duration_ms || 0); }
  function agentHref(name) { return "/dashboard/agents/" + encodeURIComponent(name); }
  function traceHref(id) { return "/dashboard/traces/" + encodeURIComponent(id); }
  function traceLink(id) { return id ? el("a", { href: traceHref(id), class: "mono", "data-trace": id }, id.slice(0, 12) + "…") : ""; }
  function agentLink(name) { return el("a", { href: agentHref(name), "data-agent-link": name }, name); }

  /**
   * Runs load() now and every 'every' ms while the tab is visible and the Live switch is on; a hidden
   * tab asks nothing. The #live button shows the state (live, paused, hidden, error) and toggles it.
   */
  function live(load, every) {
    var button = $("live"), on = true, timer = null, running = false;
    function show(state, text) { button.setAttribute("data-state", state); button.setAttribute("aria-pressed", String(on)); button.textContent = text; }
    function tick() {
      if (running) return;
      running = true;
      Promise.resolve().then(load).then(function () {
        show("live", "● Live");
        document.body.setAttribute("data-updated", new Date().toISOString());
      }, function (err) { show("error", "● Live: " + err.message); }).then(function () { running = false; schedule(); });
    }
    function schedule() {
      clearTimeout(timer);
      if (!on) return show("paused", "❚❚ Paused");
      if (document.hidden) return show("hidden", "● Live (tab hidden)");
      timer = setTimeout(tick, every);
    }
    button.addEventListener("click", function () { on = !on; if (on) tick(); else schedule(); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden && on) tick(); else schedule(); });
    tick();
    return { refresh: tick };
  }
  return { $: $, el: el, svg: svg, api: api, ms: ms, outcomeClass: outcomeClass, isFailure: isFailure, startOf: startOf,
    agentHref: agentHref, traceHref: traceHref, traceLink: traceLink, agentLink: agentLink, live: live };
})();
`;

/**
 * GET /docs: a small self-contained API explorer. It loads /openapi.json with the session cookie,
 * lists every operation by tag, and sends requests from the page (adding the CSRF header, or a
 * bearer key typed into the page, kept only in memory). Everything is rendered with textContent.
 */
import { htmlPage } from "./html";

const CSS = `
.op { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0; }
.op > summary { padding: .35rem .6rem; cursor: pointer; }
.op .body { padding: .5rem .8rem; display: grid; gap: .4rem; }
.method { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase; }
.get { color: #2471a3; } .post { color: #1e8449; } .put { color: #b9770e; } .delete { color: #c0392b; }
textarea { width: 100%; min-height: 6rem; font-family: ui-monospace, monospace; }
label { display: block; } input.param { width: 18rem; }
`;

// Plain JS for the browser (no template placeholders inside, so it stays literal).
const SCRIPT = String.raw`
(function () {
  var bearer = "";
  var root = document.getElementById("ops");
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function headers(extra) {
    var h = { "x-switchboard-csrf": "1" };
    if (bearer) h.authorization = "Bearer " + bearer;
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }
  document.getElementById("bearer").addEventListener("change", function (ev) { bearer = ev.target.value.trim(); });
  function example(schema, doc) {
    if (!schema) return null;
    if (schema.$ref) schema = doc.components.schemas[schema.$ref.split("/").pop()] || {};
    if (schema.example !== undefined) return schema.example;
    if (schema.type === "object" && schema.properties) {
      var out = {};
      (schema.required || []).forEach(function (k) { out[k] = example(schema.properties[k], doc); });
      return out;
    }
    if (schema.type === "string") return "";
    if (schema.type === "number" || schema.type === "integer") return 0;
    if (schema.type === "array") return [];
    return null;
  }
  function operation(path, method, op, doc) {
    var box = el("details", { class: "op" });
    var summary = el("summary");
    summary.appendChild(el("span", { class: "method " + method }, method));
    summary.appendChild(el("code", null, path));
    summary.appendChild(el("span", { class: "muted" }, "  " + (op.summary || "")));
    box.appendChild(summary);
    var body = el("div", { class: "body" });
    if (op.description) body.appendChild(el("p", { class: "muted" }, op.description));
    var inputs = {};
    (op.parameters || []).forEach(function (p) {
      var label = el("label", null, p.in + " " + p.name + (p.required ? " *" : "") + " ");
      var input = el("input", { class: "param", name: p.name });
      inputs[p.in + ":" + p.name] = input;
      label.appendChild(input);
      body.appendChild(label);
    });
    var content = op.requestBody && op.requestBody.content;
    var jsonBody = content && content["application/json"];
    var area = null;
    if (jsonBody) {
      area = el("textarea");
      area.value = JSON.stringify(example(jsonBody.schema, doc), null, 2);
      body.appendChild(area);
    }
    var send = el("button", { type: "button" }, "Send");
    var out = el("pre", { class: "mono" });
    send.addEventListener("click", function () {
      var url = path.replace(/\{([^}]+)\}/g, function (_, name) { return encodeURIComponent((inputs["path:" + name] || {}).value || ""); });
      var query = new URLSearchParams();
      Object.keys(inputs).forEach(function (k) { if (k.indexOf("query:") === 0 && inputs[k].value) query.set(k.slice(6), inputs[k].value); });
      if (String(query)) url += "?" + query;
      var init = { method: method.toUpperCase(), headers: headers(area ? { "content-type": "application/json" } : {}), credentials: "same-origin" };
      if (area) init.body = area.value;
      out.textContent = "…";
      fetch(url, init).then(function (res) {
        return res.text().then(function (text) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
          out.textContent = res.status + " " + res.statusText + "\n" + text;
        });
      }, function (err) { out.textContent = String(err); });
    });
    body.appendChild(send);
    body.appendChild(out);
    box.appendChild(body);
    return box;
  }
  fetch("/openapi.json", { credentials: "same-origin", headers: headers() }).then(function (res) {
    if (!res.ok) throw new Error("GET /openapi.json answered " + res.status);
    return res.json();
  }).then(function (doc) {
    document.getElementById("title").textContent = doc.info.title + " " + doc.info.version + " — OpenAPI " + doc.openapi;
    var byTag = {};
    Object.keys(doc.paths).sort().forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push(operation(path, method, op, doc));
      });
    });
    Object.keys(byTag).sort().forEach(function (tag) {
      root.appendChild(el("h2", null, tag));
      byTag[tag].forEach(function (node) { root.appendChild(node); });
    });
  }).catch(function (err) { root.appendChild(el("p", { class: "bad" }, String(err))); });
})();
`;

export function docsPage(): Response {
  return htmlPage({
    title: "Switchboard API",
    css: CSS,
    body: `<header><h1 id="title">Switchboard API</h1><span><a href="/openapi.json">openapi.json</a> · <a href="/dashboard">dashboard</a></span></header>
<p class="muted">Requests go out with your session cookie. To try another principal, paste its key here (kept in this page's memory only):
<input id="bearer" type="password" autocomplete="off" placeholder="Bearer key (optional)"></p>
<main id="ops"></main>`,
    script: SCRIPT,
  });
}

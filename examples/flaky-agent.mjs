#!/usr/bin/env node
// A remote agent you can break, for tour step 8 of the README and the walkthrough in docs/resilience.md.
//
//   node examples/flaky-agent.mjs [port]        (default 8788)
//
//   POST /ok      answers { content: "ok: <content>" }
//   POST /fail    answers 503 (transient: retried, counted by the breaker)
//   POST /flaky   fails every other call
//   GET  /stats   how many calls each path received
//
// It verifies Switchboard's Standard Webhooks signature when SWITCHBOARD_SIGNING_SECRET is set,
// which is how any receiver should check that a delivery really came from Switchboard.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8788);
const secret = process.env.SWITCHBOARD_SIGNING_SECRET;
const verifier = secret ? new Webhook(secret) : null;
const calls = {};

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const path = (req.url ?? "/").split("?")[0];
    const send = (status, value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "GET" && path === "/stats") return send(200, calls);
    calls[path] = (calls[path] ?? 0) + 1;
    let envelope;
    try {
      envelope = verifier ? verifier.verify(body, req.headers) : JSON.parse(body);
    } catch (error) {
      return send(401, { error: `bad signature: ${error.message}` });
    }
    if (path === "/fail" || (path === "/flaky" && calls[path] % 2 === 1)) return send(503, { error: "flaky agent is down" });
    if (path === "/ok" || path === "/flaky") return send(200, { content: `ok: ${JSON.stringify(envelope.content)}` });
    return send(404, { error: "try /ok, /fail or /flaky" });
  });
});

server.listen(port, "127.0.0.1", () => console.log(`flaky agent on http://127.0.0.1:${port} (/ok, /fail, /flaky)${verifier ? ", verifying signatures" : ""}`));

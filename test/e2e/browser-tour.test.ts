/**
 * README tour step 16 in Chromium: pages served from other loopback origins than `wrangler dev`
 * call an agent. The page on the allowed origin runs the README's fetch verbatim with its own
 * origin-limited key and reads the streamed reply; a page on an origin CORS allows but the key does
 * not reads a 403; a page on an origin nobody allowed fails the preflight and sends nothing.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, CHROMIUM, hasChromium, launchBrowser } from "../support/browser";
import { E2E_POLL, eventually } from "../support/poll";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";

if (!hasChromium) console.warn(`[browser-tour] skipped: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run does this)`);

/** The README's page script: the one ```js block that uses the web key. */
const README_PAGE_SCRIPT = (() => {
  const block = [...readFileSync("README.md", "utf8").matchAll(/^```js\n([\s\S]*?)^```$/gm)]
    .map(([, code]) => code as string)
    .find((code) => code.includes("sk_dev_web"));
  if (!block) throw new Error("README.md has no ```js block with sk_dev_web (tour step 16)");
  return block;
})();
const WEB_KEY = "sk_dev_web";

/** An empty page on its own loopback port: a second origin, as a web app's would be. */
function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>a web app</title><p>calls Switchboard</p>");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

describe.skipIf(!hasChromium)("README 16: an agent called from a web page, in Chromium", () => {
  let dev: DevServer;
  let browser: Browser;
  const pages: Awaited<ReturnType<typeof startPageServer>>[] = [];
  let [app, sibling, stranger] = ["", "", ""];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) pages.push(await startPageServer());
    [app, sibling, stranger] = pages.map((p) => p.origin) as [string, string, string];
    dev = await startWranglerDev({
      // The app's and its sibling's origins may call the API; the web key is only the app's.
      SWITCHBOARD_CORS_ORIGINS: `${app},${sibling}`,
      SWITCHBOARD_API_KEYS: `admin=${DEV_ADMIN_KEY},agent:web=${WEB_KEY} ${app}`,
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
    for (const p of pages) await new Promise((r) => p.server.close(r));
  });

  /** Opens a page on `origin` and runs the README's script there, its SB pointed at `wrangler dev`, collecting what it logs. */
  async function runReadmeScript(origin: string): Promise<{ logged: string; error: string | null }> {
    const page = await browser.page();
    try {
      await page.goto(`${origin}/`);
      const script = README_PAGE_SCRIPT.replace('"http://localhost:8787"', JSON.stringify(dev.url));
      expect(script).not.toBe(README_PAGE_SCRIPT);
      return await page.evaluate(`(async () => {
        const lines = [];
        const console = { log: (line) => lines.push(String(line)) };
        try {
          ${script}
          return { logged: lines.join(""), error: null };
        } catch (error) {
          return { logged: lines.join(""), error: String(error) };
        }
      })()`);
    } finally {
      await page.close();
    }
  }

  /** A fetch from a page on `origin`: the status and body it could read, or the error the browser gave it. */
  async function fetchFrom(origin: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
    const page = await browser.page();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, init }) => {
          try {
            const res = await fetch(url, init);
            return { status: res.status, body: await res.text(), error: null, traceparent: res.headers.get("traceparent") };
          } catch (error) {
            return { status: 0, body: "", error: String(error), traceparent: null };
          }
        },
        { url: `${dev.url}${path}`, init },
      );
    } finally {
      await page.close();
    }
  }

  it("runs the README's fetch on the allowed origin and reads the streamed reply, event by event", async () => {
    const { logged, error } = await runReadmeScript(app);
    expect(error).toBeNull();
    const events = [...logged.matchAll(/^event: (\w+)$/gm)].map(([, e]) => e);
    expect(events).toEqual(["start", "delta", "delta", "delta", "reply"]);
    expect(logged).toContain('data: {"text":"tick 1 "}');
    const reply = JSON.parse(/event: reply\ndata: (.*)$/m.exec(logged)?.[1] ?? "null");
    expect(reply).toMatchObject({ role: "reply", from: "ticker", to: "web", content: "tick 1 tick 2 tick 3" });
  });

  it("lets the page read the trace header, and a 403 problem when the key is used from another allowed origin", async () => {
    const call = (origin: string) =>
      fetchFrom(origin, "/agents/echo/invoke", {
        method: "POST",
        headers: { authorization: `Bearer ${WEB_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ content: `from ${origin}` }),
      });
    const ok = await call(app);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).content).toBe(`from ${app}`);
    expect(ok.traceparent).toMatch(/^00-[0-9a-f]{32}-/);

    const refused = await call(sibling);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ code: "forbidden", detail: expect.stringContaining(sibling) });
  });

  it("fails the preflight on an origin nobody allowed: the browser never sends the call", async () => {
    const echo = (origin: string, content: string) =>
      fetchFrom(origin, "/agents/echo/invoke", {
        method: "POST",
        headers: { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ content }),
      });
    const [allowedMarker, marker] = [`allowed-${crypto.randomUUID()}`, `stranger-${crypto.randomUUID()}`];
    expect((await echo(app, allowedMarker)).status).toBe(200);
    const denied = await echo(stranger, marker);
    expect(denied.status).toBe(0);
    expect(denied.error).toMatch(/Failed to fetch/);
    const { logged, error } = await runReadmeScript(stranger);
    expect(error).toMatch(/Failed to fetch/);
    expect(logged).toBe("");

    // The allowed page's call is in echo's log; the stranger's never reached the agent.
    const log = async () =>
      JSON.stringify(
        (await (await fetch(`${dev.url}/agents/echo/log?limit=100`, { headers: { authorization: `Bearer ${DEV_ADMIN_KEY}` } })).json()) as unknown,
      );
    await eventually(
      async () => ((await log()).includes(allowedMarker) ? true : undefined),
      E2E_POLL.timeoutMs,
      "the allowed page's call in echo's log",
      E2E_POLL.intervalMs,
    );
    expect(await log()).not.toContain(marker);
  });
});

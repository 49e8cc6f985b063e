/**
 * The dashboard in a real browser: Chromium (Debian package) driven by playwright-core loads
 * /dashboard from `wrangler dev`, signs in through the page, sees data this test produced through
 * the API (escaped), opens a trace, replays a dead letter, and saves a screenshot to test/artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { E2E_POLL, eventually } from "../support/poll";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[dashboard-browser] skipped: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run does this)`);

const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;
/**
 * How long the page may take to show what a click or a refresh loads. A refresh asks every agent for
 * its metrics and log (two requests each), which takes more than vitest's 1 s default on a loaded
 * 2-core machine.
 */
const PAGE = { timeout: 15_000 };

/** A remote agent whose answer the test flips: 400 (permanent, dead-lettered at once) until healed. */
function startFlipServer(): Promise<{ server: Server; url: string; heal(): void }> {
  let healthy = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(healthy ? 200 : 400, { "content-type": "application/json" });
      res.end(JSON.stringify(healthy ? { content: "recovered" } : { error: "not yet" }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/agent`, heal: () => (healthy = true) }),
    ),
  );
}

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  let dev: DevServer;
  let flip: Awaited<ReturnType<typeof startFlipServer>>;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    flip = await startFlipServer();
    dev = await startWranglerDev();
    profile = mkdtempSync(join(tmpdir(), "switchboard-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await context?.close();
    await dev?.stop();
    await new Promise((r) => flip?.server.close(r));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("signs in, shows agents, escaped messages and a trace, and replays a dead letter", async () => {
    // Real data through the API.
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const planned = await fetch(`${dev.url}/agents/planner/invoke`, {
      method: "POST",
      headers: { ...admin, traceparent },
      body: JSON.stringify({ content: `Plan it. ${XSS}` }),
    });
    expect(planned.status).toBe(200);
    await fetch(`${dev.url}/agents/echo/invoke`, { method: "POST", headers: admin, body: JSON.stringify({ content: XSS }) });
    const put = await fetch(`${dev.url}/agents/flaky-remote`, { method: "PUT", headers: admin, body: JSON.stringify({ kind: "http", url: flip.url }) });
    expect(put.status).toBe(200);
    const sent = await fetch(`${dev.url}/agents/flaky-remote/messages`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ content: "please deliver" }),
    });
    expect(sent.status).toBe(202);
    const dead = await eventually(
      async () => {
        const page = (await (await fetch(`${dev.url}/dlq?agent=flaky-remote`, { headers: admin })).json()) as { entries: Array<{ id: string }> };
        return page.entries[0];
      },
      E2E_POLL.timeoutMs,
      "the dead letter",
      E2E_POLL.intervalMs,
    );

    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    // Not signed in: 401 with the login form.
    const first = await page.goto(`${dev.url}/dashboard`);
    expect(first?.status()).toBe(401);
    await page.fill('input[name="key"]', DEV_ADMIN_KEY);
    await Promise.all([page.waitForURL(`${dev.url}/dashboard`), page.click('button[type="submit"]')]);
    expect(page.url()).not.toContain(DEV_ADMIN_KEY);
    await page.waitForSelector('#main[data-loaded="1"]');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "switchboard_session", httpOnly: true, sameSite: "Strict" });
    expect(cookie?.value).not.toContain(DEV_ADMIN_KEY);

    // Agents with breaker, in-flight and latency.
    const plannerRow = page.locator('#agents tr[data-agent="planner"]');
    await expect.poll(() => plannerRow.textContent(), PAGE).toContain("closed");
    expect(await plannerRow.textContent()).toMatch(/0 \/ 10/);
    expect(await page.locator('#agents tr[data-agent="flaky-remote"]').count()).toBe(1);

    // The payload shows as text and never runs.
    const messages = page.locator("#messages");
    await expect.poll(() => messages.textContent(), PAGE).toContain("<script>window.__pwned=1</script>");
    expect(await page.locator("#messages script, #messages img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

    // One flow across agents.
    await page.locator('#messages button[data-trace="0af7651916cd43dd8448eb211c80319c"]').first().click();
    await expect.poll(() => page.locator("#trace tr.trace-row").count(), PAGE).toBe(3);
    expect(await page.locator("#trace-agents").textContent()).toContain("planner");

    // Replay the dead letter once the remote agent is healthy again.
    flip.heal();
    const replay = page.locator(`#dlq tr[data-id="${dead.id}"] button[data-action="replay"]`);
    await replay.click();
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toContain(`replayed ${dead.id}`);
    await eventually(
      async () => {
        const res = await fetch(`${dev.url}/dlq/${dead.id}`, { headers: admin });
        return res.status === 404 ? true : undefined;
      },
      E2E_POLL.timeoutMs,
      "the replayed entry to be delivered and removed",
      E2E_POLL.intervalMs,
    );

    mkdirSync(join(process.cwd(), "test/artifacts"), { recursive: true });
    await page.click("#refresh");
    await expect.poll(() => page.locator("#messages").textContent(), PAGE).toMatch(/async\s*ok/);
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toContain("updated");
    await page.screenshot({ path: join(process.cwd(), "test/artifacts/dashboard.png"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("serves the docs page, which loads the OpenAPI document with the session", async () => {
    const page = await context.newPage();
    await page.goto(`${dev.url}/docs`);
    await expect.poll(() => page.locator("#title").textContent(), PAGE).toContain("OpenAPI 3.1.0");
    expect(await page.locator("details.op").count()).toBeGreaterThan(15);
  });
});

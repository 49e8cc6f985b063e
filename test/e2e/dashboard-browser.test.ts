/**
 * The dashboard in a real browser: Chromium (Debian package) driven by playwright-core against one
 * `wrangler dev`. The tour's flows (a call, a chain, map-reduce, an observer event, a model's tool
 * call, a tripped breaker, dead letters) run through the API, then the test signs in through the page and
 * asserts on what is drawn: the overview, each trace as a waterfall (span bars with the right agents,
 * order and nesting), and agent-supplied content shown as text, never markup. No page or console
 * errors anywhere. Screenshots go to test/artifacts/ (docs/images/ with `npm run screenshots`).
 */
import { createServer, type Server } from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Browser, CHROMIUM, hasChromium, launchBrowser, screenshotPath } from "../support/browser";
import { DEV_ADMIN_KEY, type DevServer, startWranglerDev } from "../support/wrangler-dev";
import { E2E_POLL, eventually } from "../support/poll";

if (!hasChromium) console.warn(`[dashboard-browser] skipped: ${CHROMIUM} not found (apt-get install -y chromium; .ci/run does this)`);

const admin = { authorization: `Bearer ${DEV_ADMIN_KEY}`, "content-type": "application/json" };
const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;
/**
 * How long the page may take to show what a click or a refresh loads. A refresh asks every agent for
 * its metrics and log (two requests each), which takes more than vitest's 1 s default on a loaded
 * 2-core machine.
 */
const PAGE = { timeout: 15_000 };

/** Trace ids of the flows this file runs, one per flow. */
const TRACE = {
  plan: "0af7651916cd43dd8448eb211c80319c",
  chain: "1bf7651916cd43dd8448eb211c80319c",
  mapReduce: "2cf7651916cd43dd8448eb211c80319c",
  xss: "3df7651916cd43dd8448eb211c80319c",
  failed: "4ef7651916cd43dd8448eb211c80319c",
  fanout: "5af7651916cd43dd8448eb211c80319c",
  tools: "6bf7651916cd43dd8448eb211c80319c",
};
const traceparent = (id: string) => `00-${id}-b7ad6b7169203331-01`;

/**
 * A remote agent whose answer the test flips: 400 (permanent, dead-lettered at once) until healed;
 * /broken stays 400 and /down 503 (transient, counted by the breaker).
 */
function startFlipServer(): Promise<{ server: Server; url: string; heal(): void }> {
  let healthy = false;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const ok = healthy && req.url !== "/broken" && req.url !== "/down";
      res.writeHead(ok ? 200 : req.url === "/down" ? 503 : 400, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { content: "recovered" } : { error: "not yet" }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, heal: () => (healthy = true) }),
    ),
  );
}

describe.skipIf(!hasChromium)("dashboard in Chromium", () => {
  let dev: DevServer;
  let flip: Awaited<ReturnType<typeof startFlipServer>>;
  let browser: Browser;
  let page: Page;

  async function post(path: string, body: unknown, trace?: string): Promise<Response> {
    return fetch(`${dev.url}${path}`, {
      method: "POST",
      headers: { ...admin, ...(trace ? { traceparent: traceparent(trace) } : {}) },
      body: JSON.stringify(body),
    });
  }
  /** Every agent of a trace is in the index (it is written about a second behind the reply). */
  async function traceReady(id: string, agents: number): Promise<void> {
    await eventually(
      async () => {
        const t = (await (await fetch(`${dev.url}/traces/${id}`, { headers: admin })).json()) as { agents: string[] };
        return t.agents.length >= agents ? true : undefined;
      },
      E2E_POLL.timeoutMs,
      `trace ${id} across ${agents} agents`,
      E2E_POLL.intervalMs,
    );
  }
  const spans = () => page.locator("#spans li.span");
  /** What a browser does when its tab is hidden or shown again. */
  const setHidden = (p: Page, hidden: boolean) =>
    p.evaluate(
      `Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} }); document.dispatchEvent(new Event("visibilitychange"));`,
    );
  const attrs = (name: string) => spans().evaluateAll((lis, a) => lis.map((li) => li.getAttribute(a)), name);

  beforeAll(async () => {
    flip = await startFlipServer();
    dev = await startWranglerDev();
    browser = await launchBrowser();
    page = await browser.page();
  });
  beforeEach(() => {
    browser.errors.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
    await new Promise((r) => flip?.server.close(r));
  });

  /** The newest of `agent`'s dead letters, once it has one. */
  const firstDeadLetter = (agent: string) =>
    eventually(
      async () => {
        const dlq = (await (await fetch(`${dev.url}/dlq?agent=${agent}`, { headers: admin })).json()) as { entries: Array<{ id: string }> };
        return dlq.entries[0];
      },
      E2E_POLL.timeoutMs,
      `a dead letter of ${agent}`,
      E2E_POLL.intervalMs,
    );

  it("signs in, shows agents, escaped messages, and replays a dead letter", async () => {
    expect((await post("/agents/planner/invoke", { content: `Plan it. ${XSS}` }, TRACE.plan)).status).toBe(200);
    await post("/agents/echo/invoke", { content: XSS });
    const put = await fetch(`${dev.url}/agents/flaky-remote`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ kind: "http", url: `${flip.url}/agent` }),
    });
    expect(put.status).toBe(200);
    expect((await post("/agents/flaky-remote/messages", { content: "please deliver" })).status).toBe(202);
    const dead = await firstDeadLetter("flaky-remote");

    // Time and flow: a schedule on echo, and a paused agent holding the message sent to it.
    const scheduled = await post("/agents/echo/schedules", { cron: "0 9 * * 1-5", timezone: "Europe/Paris", content: "standup" });
    expect(scheduled.status).toBe(201);
    const schedule = (await scheduled.json()) as { id: string; next_at: string };
    await fetch(`${dev.url}/agents/paused-remote`, { method: "PUT", headers: admin, body: JSON.stringify({ kind: "http", url: `${flip.url}/agent` }) });
    expect((await post("/agents/paused-remote/pause", {})).status).toBe(200);
    expect((await post("/agents/paused-remote/messages", { content: "wait" })).status).toBe(202);
    await eventually(
      async () => {
        const res = (await (await fetch(`${dev.url}/agents/paused-remote`, { headers: admin })).json()) as { status: { held: number } };
        return res.status.held === 1 ? true : undefined;
      },
      E2E_POLL.timeoutMs,
      "the paused agent to hold the message",
      E2E_POLL.intervalMs,
    );

    // Not signed in: 401 with the login form.
    const first = await page.goto(`${dev.url}/dashboard`);
    expect(first?.status()).toBe(401);
    await page.fill('input[name="key"]', DEV_ADMIN_KEY);
    await Promise.all([page.waitForURL(`${dev.url}/dashboard`), page.click('button[type="submit"]')]);
    expect(page.url()).not.toContain(DEV_ADMIN_KEY);
    await page.waitForSelector('#main[data-loaded="1"]');
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: "switchboard_session", httpOnly: true, sameSite: "Strict" });
    expect(cookie?.value).not.toContain(DEV_ADMIN_KEY);

    // Agents with breaker, in-flight and latency.
    const plannerRow = page.locator('#agents tr[data-agent="planner"]');
    await expect.poll(() => plannerRow.textContent(), PAGE).toContain("closed");
    expect(await plannerRow.textContent()).toMatch(/0 \/ 10/);
    expect(await page.locator('#agents tr[data-agent="flaky-remote"]').count()).toBe(1);

    // Paused agents, schedules and their next firings.
    await expect.poll(() => page.locator('#agents tr[data-agent="paused-remote"]').textContent(), PAGE).toContain("paused · 1 held");
    expect(await page.locator('#agents tr[data-agent="echo"]').textContent()).toContain(schedule.next_at);
    const scheduleRow = page.locator(`#schedules tr.schedule[data-id="${schedule.id}"]`);
    expect(await scheduleRow.textContent()).toContain("0 9 * * 1-5 (Europe/Paris)");
    expect(await scheduleRow.textContent()).toContain(schedule.next_at);

    // The payload shows as text and never runs.
    const messages = page.locator("#messages");
    await expect.poll(() => messages.textContent(), PAGE).toContain("<script>window.__pwned=1</script>");
    expect(await page.locator("#messages script, #messages img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

    // Replay the dead letter once the remote agent is healthy again.
    flip.heal();
    expect(await page.locator(`#dlq tr[data-id="${dead.id}"] a[data-agent-link="flaky-remote"]`).getAttribute("href")).toBe("/dashboard/agents/flaky-remote");
    await page.locator(`#dlq tr[data-id="${dead.id}"] button[data-action="replay"]`).click();
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toContain(`replayed ${dead.id}`);
    await eventually(
      async () => ((await fetch(`${dev.url}/dlq/${dead.id}`, { headers: admin })).status === 404 ? true : undefined),
      E2E_POLL.timeoutMs,
      "the replayed entry to be delivered and removed",
      E2E_POLL.intervalMs,
    );
    await page.click("#refresh");
    await expect.poll(() => page.locator("#messages").textContent(), PAGE).toMatch(/async\s*ok/);
    await expect.poll(() => page.locator("#status").textContent(), PAGE).toContain("updated");
    expect(browser.errors).toEqual([]);
  });

  it("opens a trace link as a waterfall: the caller's hop, and the callee's nested under it", async () => {
    await traceReady(TRACE.plan, 2);
    await page.goto(`${dev.url}/dashboard`);
    await page.locator(`#messages a[data-trace="${TRACE.plan}"]`).first().click();
    await page.waitForURL(`${dev.url}/dashboard/traces/${TRACE.plan}`);
    await expect.poll(() => spans().count(), PAGE).toBe(2);
    expect(await attrs("data-agent")).toEqual(["planner", "summarizer"]);
    expect(await attrs("data-level")).toEqual(["0", "1"]);
    expect(await attrs("data-pattern")).toEqual(["invoke", "ctx.invoke"]);
    // The callee's bar lies inside the caller's on the time axis.
    const [outer, inner] = await spans()
      .locator(".bar")
      .evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })));
    expect(inner!.left).toBeGreaterThanOrEqual(outer!.left - 1);
    expect(inner!.right).toBeLessThanOrEqual(outer!.right + 1);
    expect(browser.errors).toEqual([]);
  });

  it("draws a chain as its path, one hop nested in the previous", async () => {
    const res = await post("/agents/triage/invoke", { content: "the app crashes", metadata: { type: "bug" } }, TRACE.chain);
    expect(res.status).toBe(200);
    await traceReady(TRACE.chain, 3);
    await page.goto(`${dev.url}/dashboard/traces/${TRACE.chain}`);
    await expect.poll(() => spans().count(), PAGE).toBe(3);
    expect(await attrs("data-agent")).toEqual(["triage", "billing", "tech-support"]);
    expect(await attrs("data-level")).toEqual(["0", "1", "2"]);
    expect(await attrs("data-outcome")).toEqual(["forwarded", "forwarded", "ok"]);
    expect(await page.locator("#summary").textContent()).toContain("chain path: triage → billing → tech-support");
    // Details on click, and by keyboard: Arrow Down moves to the next span, Enter opens it.
    await spans().nth(0).locator("button").click();
    await expect.poll(() => page.locator("#detail h2").textContent(), PAGE).toBe("triage");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#detail h2").textContent(), PAGE).toBe("tech-support");
    expect(await page.locator("#detail").textContent()).toContain("the app crashes");
    await page.screenshot({ path: screenshotPath("trace-chain"), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it("shows map-reduce's mappers side by side under one group, the reducer after them", async () => {
    const res = await post(
      "/patterns/map-reduce",
      { data: ["the cat sat", "the dog ran", "a cat ran"], mappers: ["wordcount-map", "wordcount-map", "wordcount-map"], reducer: "wordcount-reduce" },
      TRACE.mapReduce,
    );
    expect(res.status).toBe(200);
    await traceReady(TRACE.mapReduce, 2);
    await page.goto(`${dev.url}/dashboard/traces/${TRACE.mapReduce}`);
    await expect.poll(() => spans().count(), PAGE).toBe(5);
    expect(await attrs("data-agent")).toEqual(["map-reduce", "wordcount-map", "wordcount-map", "wordcount-map", "wordcount-reduce"]);
    expect(await attrs("data-role")).toEqual(["group", "mapper 1", "mapper 2", "mapper 3", "reducer"]);
    expect(await attrs("data-level")).toEqual(["0", "1", "1", "1", "1"]);
    const lefts = await spans()
      .locator(".bar")
      .evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().left));
    // Every mapper starts before the reducer does.
    for (const left of lefts.slice(1, 4)) expect(left).toBeLessThanOrEqual(lefts[4]!);
    await page.screenshot({ path: screenshotPath("trace-map-reduce"), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it("nests an observer's delivery under the event it came from, and a model's tool call under its hop", async () => {
    expect([200, 201]).toContain((await post("/agents/billing/observers", { observer: "auditor" })).status);
    expect((await post("/agents/billing/events", { event: "invoice.paid", data: { invoice: 7 } }, TRACE.fanout)).status).toBe(202);
    expect((await post("/agents/concierge/invoke", { content: "Summarize: Ship it. Tell the team." }, TRACE.tools)).status).toBe(200);
    await traceReady(TRACE.fanout, 2);
    await traceReady(TRACE.tools, 2);

    await page.goto(`${dev.url}/dashboard/traces/${TRACE.fanout}`);
    await expect.poll(() => spans().count(), PAGE).toBe(2);
    expect(await attrs("data-agent")).toEqual(["billing", "auditor"]);
    expect(await attrs("data-role")).toEqual(["event", "hop"]);
    expect(await attrs("data-level")).toEqual(["0", "1"]);
    expect(await attrs("data-pattern")).toEqual(["fanout", "fanout"]);
    expect(await spans().first().locator(".bar.point").count()).toBe(1);

    await page.goto(`${dev.url}/dashboard/traces/${TRACE.tools}`);
    await expect.poll(() => spans().count(), PAGE).toBe(2);
    expect(await attrs("data-agent")).toEqual(["concierge", "summarizer"]);
    expect(await attrs("data-pattern")).toEqual(["invoke", "tool"]);
    expect(await attrs("data-level")).toEqual(["0", "1"]);
    expect(browser.errors).toEqual([]);
  });

  it("shows a failed hop in red with its problem, and agent content as text", async () => {
    const broken = await fetch(`${dev.url}/agents/broken-remote`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ kind: "http", url: `${flip.url}/broken` }),
    });
    expect(broken.status).toBe(200);
    const failed = await post("/agents/broken-remote/invoke", { content: "will fail" }, TRACE.failed);
    expect(failed.status).toBe(502);
    expect((await post("/agents/echo/invoke", { content: XSS }, TRACE.xss)).status).toBe(200);
    await traceReady(TRACE.failed, 1);
    await traceReady(TRACE.xss, 1);
    await page.goto(`${dev.url}/dashboard/traces/${TRACE.failed}`);
    await expect.poll(() => attrs("data-outcome"), PAGE).toEqual(["agent_error"]);
    expect(await spans().locator(".bar.bad").count()).toBe(1);
    await spans().first().locator("button").click();
    await expect.poll(() => page.locator("#detail pre.problem").textContent(), PAGE).toMatch(/400/);

    await page.goto(`${dev.url}/dashboard/traces/${TRACE.xss}`);
    await expect.poll(() => spans().count(), PAGE).toBe(1);
    await spans().first().locator("button").click();
    await expect.poll(() => page.locator("#detail pre.preview").textContent(), PAGE).toContain("<script>window.__pwned=1</script>");
    expect(await page.locator("#detail script, #detail img, #spans img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(browser.errors).toEqual([]);
  });

  it("draws the agent graph: who called whom with counts and error rates, breaker state as colour", async () => {
    const put = await fetch(`${dev.url}/agents/tripping-remote`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({
        kind: "http",
        url: `${flip.url}/down`,
        limits: { max_retries: 0 },
        breaker: { failure_threshold: 2, recovery_timeout_ms: 60_000 },
      }),
    });
    expect(put.status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await post("/agents/tripping-remote/invoke", { content: "hi" })).status).toBe(502);
    expect((await post("/agents/tripping-remote/invoke", { content: "hi" })).status).toBe(503);

    await page.goto(`${dev.url}/dashboard`);
    await page.waitForSelector('#main[data-loaded="1"]');
    const edge = (from: string, to: string) => page.locator(`#graph g.edge[data-from="${from}"][data-to="${to}"]`);
    await expect.poll(() => edge("triage", "billing").getAttribute("data-count"), PAGE).toBe("1");
    expect(await edge("billing", "tech-support").getAttribute("data-count")).toBe("1");
    expect(await edge("(clients)", "triage").getAttribute("data-count")).toBe("1");
    expect(await edge("planner", "summarizer").getAttribute("data-count")).toBe("1");
    expect(await edge("(clients)", "wordcount-map").getAttribute("data-count")).toBe("3");
    expect(await edge("(clients)", "wordcount-reduce").getAttribute("data-count")).toBe("1");
    // Two 502s and a 503 from the open breaker: every call failed.
    expect(await edge("(clients)", "tripping-remote").getAttribute("data-count")).toBe("3");
    expect(await edge("(clients)", "tripping-remote").getAttribute("data-errors")).toBe("3");
    expect(await edge("(clients)", "tripping-remote").locator("text").textContent()).toBe("3 · 100% err");
    expect(await page.locator('#graph g.node[data-agent="tripping-remote"]').getAttribute("data-breaker")).toBe("open");
    expect(await page.locator('#graph g.node[data-agent="planner"]').getAttribute("data-breaker")).toBe("closed");
    // Agents with no calls in the window are listed, not drawn.
    expect(await page.locator('#graph g.node[data-agent="greeter"]').count()).toBe(0);
    expect(await page.locator("#graph-idle").textContent()).toContain("greeter");
    // A node is a link to its agent, reachable by keyboard.
    const planner = page.locator('#graph a:has(g.node[data-agent="planner"])');
    expect(await planner.getAttribute("href")).toBe("/dashboard/agents/planner");
    await page.locator("#graph-window").selectOption("60000");
    await page.screenshot({ path: screenshotPath("dashboard"), fullPage: false });
    expect(browser.errors).toEqual([]);
  });

  it("opens an agent's page from the graph: charts, outcomes, and the breaker timeline showing open, then closed", async () => {
    await page.locator('#graph a:has(g.node[data-agent="tripping-remote"])').click();
    await page.waitForURL(`${dev.url}/dashboard/agents/tripping-remote`);
    await expect.poll(() => page.locator("#badges [data-breaker]").getAttribute("data-breaker"), PAGE).toBe("open");
    const states = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
    expect(await states("#breaker .seg")).toEqual(["closed", "open"]);
    // Throughput: three failed calls, none ok; outcomes: two agent errors, one refused by the open breaker.
    const failed = await page
      .locator('#throughput rect[data-stack="failed"]')
      .evaluateAll((rs) => rs.reduce((n, r) => n + Number(r.getAttribute("data-value")), 0));
    expect(failed).toBe(3);
    expect(await page.locator('#throughput rect[data-stack="ok"]').count()).toBe(0);
    expect(await page.locator('#outcomes li[data-outcome="agent_error"]').textContent()).toContain("2 (67%)");
    expect(await page.locator('#outcomes li[data-outcome="circuit_open"]').textContent()).toContain("1 (33%)");
    expect(Number(await page.locator('#latency g[data-series="p99"]').getAttribute("data-points"))).toBeGreaterThan(0);
    expect(await page.locator("#concurrency line.cap").count()).toBe(1);

    const reset = await fetch(`${dev.url}/agents/tripping-remote/breaker/reset`, { method: "POST", headers: admin });
    expect(reset.status).toBe(200);
    await page.reload();
    await expect.poll(() => states("#breaker .seg"), PAGE).toEqual(["closed", "open", "closed"]);
    expect(await states("#breaker ol.transitions li")).toEqual(["closed", "open"]);
    expect(await page.locator("#badges [data-breaker]").getAttribute("data-breaker")).toBe("closed");
    await page.screenshot({ path: screenshotPath("agent"), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it("lists an agent's dead letters with Inspect, Replay all, Delete and Delete all, its content shown as text", async () => {
    expect((await post("/agents/broken-remote/messages", { content: `keep me ${XSS}` })).status).toBe(202);
    await firstDeadLetter("broken-remote");
    await page.goto(`${dev.url}/dashboard/agents/broken-remote`);
    const entry = page.locator("#dlq tr.dead-letter");
    await expect.poll(() => entry.count(), PAGE).toBe(1);
    const id = await entry.getAttribute("data-id");
    expect(await entry.locator("pre.inspect").isVisible()).toBe(false);
    await entry.locator('button[data-action="inspect"]').click();
    expect(await entry.locator("pre.inspect").isVisible()).toBe(true);
    expect(await entry.locator("pre.inspect").textContent()).toContain("<script>window.__pwned=1</script>");
    await expect.poll(() => page.locator("#messages").textContent(), PAGE).toContain("keep me <img src=x");
    expect(await page.locator("#main script, #main img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    // Replay all: the agent still fails, so its letter comes back dead, replayed once.
    await page.locator('#dlq-actions button[data-action="replay-all"]').click();
    await expect.poll(() => page.locator("#act").textContent(), PAGE).toBe("replaying 1 of broken-remote's dead letters, 0 left");
    await eventually(
      async () => {
        const letter = (await (await fetch(`${dev.url}/dlq/${id}`, { headers: admin })).json()) as { status: string; replays: number };
        return letter.status === "dead" && letter.replays === 1 ? true : undefined;
      },
      E2E_POLL.timeoutMs,
      "the replayed letter to fail again",
      E2E_POLL.intervalMs,
    );
    await entry.locator('button[data-action="delete"]').click();
    await expect.poll(() => page.locator("#act").textContent(), PAGE).toBe(`deleted ${id}`);
    await expect.poll(() => page.locator("#dlq").textContent(), PAGE).toContain("no dead letters");
    expect((await fetch(`${dev.url}/dlq/${id}`, { headers: admin })).status).toBe(404);

    // Delete all asks first; declined, nothing goes; accepted, the agent's letters go.
    expect((await post("/agents/broken-remote/messages", { content: "and me" })).status).toBe(202);
    await firstDeadLetter("broken-remote");
    await page.reload();
    await expect.poll(() => entry.count(), PAGE).toBe(1);
    page.once("dialog", (dialog) => dialog.dismiss());
    await page.locator('#dlq-actions button[data-action="delete-all"]').click();
    expect(await entry.count()).toBe(1);
    page.once("dialog", (dialog) => dialog.accept());
    await page.locator('#dlq-actions button[data-action="delete-all"]').click();
    await expect.poll(() => page.locator("#act").textContent(), PAGE).toBe("deleted 1 of broken-remote's dead letters");
    await expect.poll(() => page.locator("#dlq").textContent(), PAGE).toContain("no dead letters");
    expect(browser.errors).toEqual([]);
  });

  it("invokes an agent from its page: content prefilled from its input_schema, the reply with its trace, a refusal naming the field", async () => {
    await page.goto(`${dev.url}/dashboard/agents/approver`);
    const box = page.locator("#try-content"),
      status = page.locator("#try-status");
    await page.locator("#try summary").click();
    await expect.poll(() => box.inputValue(), PAGE).not.toBe("");
    expect(JSON.parse(await box.inputValue())).toEqual({ item: "", amount: 0 });
    await box.fill(JSON.stringify({ item: "pens", amount: 12 }));
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => status.textContent(), PAGE).toMatch(/^replied in /);
    const reply = JSON.parse((await page.locator("#try-reply").textContent()) as string);
    expect(reply).toMatchObject({ role: "reply", from: "approver", content: { status: "approved", item: "pens", by: "policy" } });
    expect(await page.locator("#try-trace a[data-trace]").getAttribute("data-trace")).toBe(reply.trace.traceparent.split("-")[1]);
    // The call is in the agent's log, which the page draws again after it.
    await expect.poll(() => page.locator("#messages").textContent(), PAGE).toContain('"item":"pens"');

    await box.fill(JSON.stringify({ item: "pens", amount: -1 }));
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => status.textContent(), PAGE).toMatch(/^400: content does not match the input_schema of approver: \/amount: /);
    expect(await status.getAttribute("class")).toBe("bad");
    expect(await page.locator("#try-reply").isVisible()).toBe(false);

    // Text that is not JSON goes as a string.
    await page.goto(`${dev.url}/dashboard/agents/echo`);
    await page.locator("#try summary").click();
    await expect.poll(() => box.inputValue(), PAGE).toBe('"hello"');
    await box.fill("plain words");
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => status.textContent(), PAGE).toMatch(/^replied in /);
    expect(JSON.parse((await page.locator("#try-reply").textContent()) as string).content).toBe("plain words");
    // Streamed: a model agent's tool call shows as a step as it ends, its answer as it comes.
    await page.goto(`${dev.url}/dashboard/agents/concierge`);
    await page.locator("#try summary").click();
    await box.fill("Summarize: Ship it. Tell the team.");
    await page.locator("#try-stream").check();
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => status.textContent(), PAGE).toMatch(/^replied in /);
    expect(await page.locator("#try-steps li").evaluateAll((lis) => lis.map((li) => li.textContent))).toEqual([
      expect.stringMatching(/^tool_call summarizer ok /),
    ]);
    const streamedReply = JSON.parse((await page.locator("#try-reply").textContent()) as string);
    expect(streamedReply).toMatchObject({ role: "reply", from: "concierge", metadata: { steps: [{ tool: "summarizer", outcome: "ok" }] } });
    // The deltas, put together, are the reply's content.
    expect(await page.locator("#try-live").textContent()).toBe(streamedReply.content);
    expect(JSON.parse(streamedReply.content)).toMatchObject({ summary: expect.stringContaining("Ship it") });
    await page.locator("#try").screenshot({ path: screenshotPath("agent-invoke") });

    // The one console error is the browser's own line for the refused call's 400.
    expect(browser.errors).toEqual([expect.stringMatching(/agents\/approver: .*status of 400/)]);
  });

  it("cancels a streamed call from its page: Cancel stops it and every hop under it at once", async () => {
    await page.goto(`${dev.url}/dashboard/agents/narrator`);
    const box = page.locator("#try-content"),
      status = page.locator("#try-status"),
      cancel = page.locator("#try-cancel");
    await page.locator("#try summary").click();
    await expect.poll(() => box.inputValue(), PAGE).not.toBe("");
    await box.fill(JSON.stringify({ agent: "ticker", text: { count: 60, every_ms: 500 } }));
    await page.locator("#try-stream").check();
    expect(await cancel.isVisible()).toBe(false);
    await page.locator('#try-form button[type="submit"]').click();
    // A tick has come through both hops: the call runs, and can be stopped.
    await expect.poll(() => page.locator("#try-live").textContent(), PAGE).toContain("tick");
    const streamId = /str_narrator_\d+_[0-9a-z]+/.exec((await status.textContent()) ?? "")?.[0];
    expect(streamId).toBeDefined();
    await cancel.click();
    await expect.poll(() => status.textContent(), PAGE).toBe(`499: cancelled: cancelled by admin (DELETE /streams/${streamId})`);
    expect(await status.getAttribute("class")).toBe("muted");
    expect(await cancel.isVisible()).toBe(false);
    // Both hops ended cancelled, well before the 60 ticks' 30 s.
    type Row = { direction: string; from: string; outcome: string; pattern: string };
    const log = async (agent: string) =>
      ((await (await fetch(`${dev.url}/agents/${agent}/log?limit=5`, { headers: admin })).json()) as { entries: Row[] }).entries;
    const ticker = await eventually(
      async () =>
        (await log("ticker")).find(
          (r: { direction: string; from: string; outcome: string }) => r.direction === "in" && r.from === "narrator" && r.outcome === "cancelled",
        ),
      E2E_POLL.timeoutMs,
      "ticker's cancelled row",
      E2E_POLL.intervalMs,
    );
    expect(ticker.pattern).toBe("ctx.invokeStream");
    expect((await log("narrator")).find((r) => r.direction === "in")).toMatchObject({ outcome: "cancelled" });

    // Sending again while a stream runs replaces it: the old call is cancelled and draws nothing more.
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => page.locator("#try-live").textContent(), PAGE).toContain("tick");
    const replaced = /str_narrator_\d+_[0-9a-z]+/.exec((await status.textContent()) ?? "")?.[0];
    await page.locator("#try-stream").uncheck();
    await box.fill(JSON.stringify("the second call"));
    await page.locator('#try-form button[type="submit"]').click();
    await expect.poll(() => status.textContent(), PAGE).toMatch(/^replied in /);
    await eventually(
      async () => (await log("narrator")).find((r: Row & { detail?: string }) => r.direction === "in" && r.detail?.includes(`DELETE /streams/${replaced}`)),
      E2E_POLL.timeoutMs,
      "the replaced stream's cancelled row",
      E2E_POLL.intervalMs,
    );
    expect(await status.textContent()).toMatch(/^replied in /);
    expect(await page.locator("#try-live").isVisible()).toBe(false);
    expect(JSON.parse((await page.locator("#try-reply").textContent()) as string).content).toContain("the second call");
    expect(browser.errors).toEqual([]);
  });

  it("is live: polls while the tab is visible, asks nothing while it is hidden, and pauses from the button", async () => {
    const live = await browser.page();
    await live.clock.install();
    const polls: string[] = [];
    live.on("request", (r) => {
      if (r.url().includes(`/traces/${TRACE.chain}`)) polls.push(r.url());
    });
    await live.goto(`${dev.url}/dashboard/traces/${TRACE.chain}`);
    const state = () => live.locator("#live").getAttribute("data-state");
    await expect.poll(state, PAGE).toBe("live");
    await live.clock.runFor(3_100);
    await expect.poll(() => polls.length, PAGE).toBeGreaterThanOrEqual(3);
    await expect.poll(state, PAGE).toBe("live");

    await setHidden(live, true);
    await expect.poll(state, PAGE).toBe("hidden");
    const whileHidden = polls.length;
    await live.clock.runFor(30_000);
    expect(polls.length).toBe(whileHidden);

    await setHidden(live, false);
    await expect.poll(() => polls.length, PAGE).toBe(whileHidden + 1);
    await expect.poll(state, PAGE).toBe("live");

    await live.locator("#live").click();
    await expect.poll(state, PAGE).toBe("paused");
    expect(await live.locator("#live").getAttribute("aria-pressed")).toBe("false");
    const whilePaused = polls.length;
    await live.clock.runFor(30_000);
    expect(polls.length).toBe(whilePaused);
    await live.close();
    expect(browser.errors).toEqual([]);
  });

  it("fits a phone and follows the system's dark scheme", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "dark" });
    const background = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    const overflow = () => page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    for (const path of [`/dashboard/traces/${TRACE.mapReduce}`, "/dashboard/agents/planner", "/dashboard"]) {
      await page.goto(`${dev.url}${path}`);
      await expect.poll(() => page.locator("#live").getAttribute("data-state"), PAGE).toBe("live");
      expect(await background(), path).toBe("rgb(21, 24, 29)");
      expect(await overflow(), `${path} is wider than the phone`).toBeLessThanOrEqual(0);
    }
    await page.goto(`${dev.url}/dashboard/traces/${TRACE.mapReduce}`);
    await expect.poll(() => spans().count(), PAGE).toBe(5);
    await page.screenshot({ path: screenshotPath("trace-phone-dark"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.emulateMedia({ colorScheme: "light" });
    expect(browser.errors).toEqual([]);
  });

  it("serves the docs page, which loads the OpenAPI document with the session", async () => {
    await page.goto(`${dev.url}/docs`);
    await expect.poll(() => page.locator("#title").textContent(), PAGE).toContain("OpenAPI 3.1.0");
    expect(await page.locator("details.op").count()).toBeGreaterThan(15);
    expect(browser.errors).toEqual([]);
  });

  it("pages through the directory 50 agents at a time", async () => {
    // Enough agents for a second page; named to sort after every other agent of the run.
    const names = Array.from({ length: 60 }, (_, i) => `zz-page-${String(i).padStart(2, "0")}`);
    for (let i = 0; i < names.length; i += 10) {
      const puts = await Promise.all(
        names
          .slice(i, i + 10)
          .map((name) =>
            fetch(`${dev.url}/agents/${name}`, { method: "PUT", headers: admin, body: JSON.stringify({ kind: "http", url: `${flip.url}/agent` }) }),
          ),
      );
      for (const r of puts) expect(r.status).toBe(200);
    }
    await page.goto(`${dev.url}/dashboard`);
    await page.waitForSelector('#main[data-loaded="1"]');
    const rows = () => page.locator("#agents tr[data-agent]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-agent") as string));
    const first = await rows();
    expect(first).toHaveLength(50);
    expect(first).toEqual([...first].sort());
    expect(await page.locator("#agents-first").isDisabled()).toBe(true);

    await page.click("#agents-next");
    await expect.poll(() => page.locator("#agents-page").textContent(), PAGE).toContain("page 2");
    // The label changes with the listing; the rows once the page's metrics are read.
    await expect.poll(async () => (await rows())[0], PAGE).not.toBe(first[0]);
    const second = await rows();
    expect(second.length).toBeGreaterThan(0);
    expect((second[0] as string) > (first[first.length - 1] as string)).toBe(true);
    expect(second).toContain("zz-page-59");

    await page.click("#agents-first");
    await expect.poll(() => page.locator("#agents-page").textContent(), PAGE).toContain("page 1");
    await expect.poll(rows, PAGE).toEqual(first);
    expect(browser.errors).toEqual([]);
  });
});

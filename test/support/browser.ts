/**
 * Chromium (the Debian package) driven by playwright-core, for the dashboard's browser tests: a
 * headless persistent context with no network beyond loopback, pages that record every page error
 * and console error, and where screenshots go (test/artifacts/, or docs/images/ when
 * SWITCHBOARD_SCREENSHOTS=docs, as `npm run screenshots` sets it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

export interface Browser {
  context: BrowserContext;
  /** A new page; its page errors and console errors are collected into `errors`. */
  page(): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: { colorScheme?: "light" | "dark" } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "switchboard-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: 1280, height: 860 },
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
  const errors: string[] = [];
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      page.on("pageerror", (e) => errors.push(`pageerror ${page.url()}: ${String(e)}`));
      page.on("console", (m) => {
        // A navigation answered 401 (the sign-in form) is logged by Chromium as a failed load; it is the page working.
        if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(`console ${page.url()}: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where a screenshot named `name` is written. */
export function screenshotPath(name: string): string {
  const dir = join(process.cwd(), process.env.SWITCHBOARD_SCREENSHOTS === "docs" ? "docs/images" : "test/artifacts");
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

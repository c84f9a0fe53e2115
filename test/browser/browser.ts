/**
 * Debian's chromium driven by playwright-core (never a downloaded browser):
 * one browser per test file, pages that record CSP violations and page
 * errors, an axe-core check injected into the page, and screenshots kept as
 * artifacts under test/browser/artifacts/ (git-ignored).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.KMS_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");

/** Why the browser tests cannot run here, or undefined when they can. CI must have chromium: there the tests fail instead. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
  if (process.env.CI) throw new Error(`browser tests: ${why}`);
  return why;
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (its own storage) with a page that records violations. */
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Page errors and console messages that report a CSP violation. */
  problems: string[];
  /** securitypolicyviolation events seen by the page. */
  cspViolations(): Promise<string[]>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // playwright-core gives each launch a fresh temporary profile (its own --user-data-dir) and removes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, reducedMotion: "reduce" });
      // Runs before the page's own scripts (through the debugging protocol, so the page's CSP does not apply to it).
      await context.addInitScript(`(() => { const seen = (window.__cspViolations = []); document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective + " " + e.blockedURI)); })();`);
      // Fail a step after 10 s with the locator that did not appear, well before the test's own timeout.
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
      });
      return { context, page, problems, cspViolations: () => page.evaluate("window.__cspViolations ?? []") as Promise<string[]> };
    },
    async close() {
      await browser.close();
    },
  };
}

const axeSource = readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe-core's violations on the page as it is now (injected by evaluation, so the page's CSP is left as it is). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.evaluate(await axeSource);
  return (await page.evaluate(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact ?? "", help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) })))`,
  )) as AxeViolation[];
}

/** The serious and critical ones, which the tests forbid. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  return (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

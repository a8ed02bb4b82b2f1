import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { testAdminPassword, testAdminUser } from "./gateway.js";

/** The console's screen sizes: a cheap Android phone first, then a school office's desktop. */
export const phoneSize = { width: 360, height: 640 } as const;
export const desktopSize = { width: 1280, height: 800 } as const;

/** Where tests save screenshots of the main screens (listed in the issue notes; not committed). */
export const screenshotDir = join(import.meta.dirname, "../../test-results/screenshots");

/** A page in its own context at `size` (close it with `page.context().close()`, or the browser does), signed in to /admin through the sign-in form as `user` (the operator by default). */
export async function openConsole(
  browser: Browser,
  base: string,
  opts: {
    size?: { width: number; height: number };
    username?: string;
    password?: string;
    lang?: "id" | "en";
  } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.size ?? desktopSize });
  const page = await context.newPage();
  if (opts.lang === "en") {
    await page.addInitScript(() => {
      localStorage.setItem("pantau.console.lang", "en");
    });
  }
  await page.goto(`${base}/admin`);
  await signIn(page, opts.username ?? testAdminUser, opts.password ?? testAdminPassword);
  return page;
}

/** Fills the sign-in form and waits for the console's menu. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
  await page.locator("nav.menu").waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is now and fails with each violation named.
 * Injected through the debugger protocol, not a <script>: the console's CSP forbids inline script, and stays on.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  );
  const lines = violations.map(
    (v) => `${v.id} (${v.impact ?? "?"}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(lines, `accessibility of ${what}`).toEqual([]);
}

/** Saves a full-page screenshot as test-results/screenshots/NAME.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

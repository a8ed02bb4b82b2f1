import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { desktopSize, expectAccessible, openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, testAdminUser, type TestGateway } from "../helpers/gateway.js";

// The console's frame in headless Chromium against a real gateway: sign-in, language, menu by role. The
// screens have tests of their own (console-*.test.ts).

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  gw = await startTestGateway();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.cleanup();
  await gw.close();
});

describe("console frame", () => {
  it("refuses a wrong password in plain words, in Bahasa Indonesia, and changes nothing", async () => {
    const context = await browser.newContext({ viewport: phoneSize });
    const page = await context.newPage();
    await page.goto(`${gw.url}/admin`);
    await page.locator('input[name="username"]').fill(testAdminUser);
    await page.locator('input[name="password"]').fill("not-the-password");
    await page.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("kata sandi salah");
    expect(await page.locator("nav.menu").count()).toBe(0);
    await expectAccessible(page, "sign-in");
    await saveScreenshot(page, "console-sign-in-phone");
    await context.close();
  });

  it("signs in, switches to English and back, and signs out", async () => {
    const page = await openConsole(browser, gw.url, { size: desktopSize });
    expect(await page.locator("#page-title").textContent()).toBe("Beranda");
    await page.getByRole("button", { name: "English" }).click();
    expect(await page.locator("#page-title").textContent()).toBe("Home");
    expect(await page.evaluate("document.documentElement.lang")).toBe("en");
    await expectAccessible(page, "home");
    await saveScreenshot(page, "console-home-desktop");
    await page.getByRole("button", { name: "Bahasa Indonesia" }).click();
    await page.getByRole("button", { name: "Keluar" }).click();
    await page.locator('input[name="username"]').waitFor();
    // The session is gone at the gateway too, not only in the page.
    const me = await page.evaluate("fetch('/api/auth/me').then((r) => r.status)");
    expect(me).toBe(401);
    await page.context().close();
  });

  it("opens an unknown screen with a way home, not a blank page", async () => {
    const page = await openConsole(browser, gw.url, { size: phoneSize });
    await page.goto(`${gw.url}/admin#/no-such-screen`);
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("tidak ada");
    await page.context().close();
  });
});

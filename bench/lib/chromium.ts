import { chromium, type Browser } from "playwright-core";
import { onCleanup } from "./cleanup.js";

/**
 * Debian's Chromium, headless, nothing reaching out to the network: the flags of test/helpers/browser.ts
 * `launchChromium()` minus `--user-data-dir`, which playwright-core 1.65 refuses in launch() (it makes and
 * removes a temporary profile itself).
 */
export async function startChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  onCleanup("chromium", () => browser.close());
  return browser;
}

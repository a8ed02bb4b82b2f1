import type { Browser } from "playwright-core";
import { launchChromium } from "../../test/helpers/browser.js";
import { onCleanup } from "./cleanup.js";

/** Debian's Chromium as the e2e tests launch it (test/helpers/browser.ts), closed by the bench's cleanup. */
export async function startChromium(): Promise<Browser> {
  const browser = await launchChromium();
  onCleanup("chromium", () => browser.cleanup());
  return browser;
}

import { chromium, type Browser } from "playwright-core";

/**
 * Debian's Chromium, headless, with nothing that reaches out to the network (see design.md, "Real parts").
 * Playwright gives it a fresh temporary profile.
 */
export async function launchChromium(): Promise<Browser & { cleanup(): Promise<void> }> {
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
  return Object.assign(browser, {
    cleanup: async () => {
      await browser.close();
    },
  });
}

export interface PageStats {
  frames: number;
  firstFrameMs: number | undefined;
  latenciesMs: number[];
  waiting: number;
  currentTime: number;
  status: string;
  errors: string[];
}

/** Reads what the player page measured (`?measure=1`) from `window.__pantau`. */
export const readStatsScript = `(() => {
  const m = window.__pantau;
  const v = document.querySelector("video");
  return {
    frames: m ? m.frames : 0,
    firstFrameMs: m && m.firstFrameAt !== undefined ? m.firstFrameAt - m.startedAt : undefined,
    latenciesMs: m ? m.latenciesMs : [],
    waiting: m ? m.waiting : 0,
    currentTime: v ? v.currentTime : 0,
    status: (document.getElementById("status") || {}).textContent || "",
    errors: m ? m.errors : [],
  };
})()`;

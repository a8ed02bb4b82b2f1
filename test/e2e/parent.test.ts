import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { desktopSize, expectAccessible, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { allWeek, makeSchool, type SchoolFixture } from "../helpers/school-fixture.js";

// The parent app on a 360×640 phone in headless Chromium against a real gateway: a school set up through the
// API (test-pattern cameras), its guardian's access link opened and confirmed as a parent does. Playback over
// WebSocket and LL-HLS, recovery after a network drop and after the page was hidden, the plain state texts,
// the installable shell (manifest, service worker that never touches media) and the 44 px touch targets.

let gw: TestGateway | undefined;
let browser: (Browser & { cleanup(): Promise<void> }) | undefined;
let school: SchoolFixture;
let closed: SchoolFixture;
/** The parent's phone: one device cookie, shared by the tests in order (play, recover, revoke). */
let phone: BrowserContext | undefined;

/** A week whose only window is tomorrow 07:00–08:00 in Jakarta: closed now, whatever the time of day. */
function closedUntilTomorrow() {
  const tomorrow = new Intl.DateTimeFormat("en-US", { timeZone: "Asia/Jakarta", weekday: "short" }).format(
    new Date(Date.now() + 86_400_000),
  );
  const day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(tomorrow) + 1;
  return { windows: [{ day, start: "07:00", end: "08:00" }], holidays: [] };
}

beforeAll(async () => {
  gw = await startTestGateway();
  school = await makeSchool(gw, "SD Harapan", allWeek);
  closed = await makeSchool(gw, "SD Pagi", closedUntilTomorrow());
  browser = await launchChromium();
});

afterAll(async () => {
  await phone?.close();
  await browser?.cleanup();
  await gw?.close();
});

interface Seen {
  decoded: number;
  currentTime: number;
  status: string;
  listStatus: string;
  phase: string | undefined;
  phaseText: string;
  rows: { state: string }[];
}

// Polled with evaluate, not waitForFunction: the page's CSP (no eval) stays on, as parents get it.
const readPage = `(() => {
  const v = document.querySelector("video");
  const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : undefined;
  const phase = document.getElementById("phase");
  return {
    decoded: q ? q.totalVideoFrames : 0,
    currentTime: v ? v.currentTime : 0,
    status: document.getElementById("status").textContent,
    listStatus: document.getElementById("list-status").textContent,
    phase: document.getElementById("stage").dataset.phase,
    phaseText: phase.hidden ? "" : phase.textContent,
    rows: Array.from(document.querySelectorAll("#cameras button.camera .state")).map((s) => ({ state: s.textContent })),
  };
})()`;
const seen = (page: Page) => page.evaluate<Seen>(readPage);

/** Waits for the picture to move: frames decoded and playback time advancing by a second. */
async function playing(page: Page, what = "playback"): Promise<Seen> {
  const first = await waitFor(`${what}: frames decoded`, async () => {
    const s = await seen(page);
    return s.decoded > 10 && s.phase === "live" ? s : undefined;
  });
  return waitFor(`${what}: time advancing`, async () => {
    const s = await seen(page);
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
}

/** A page on the parent's phone (360×640, touch, Jakarta time); the first one opens and confirms the link. */
async function parentPage(query = ""): Promise<Page> {
  if (!phone) {
    phone = await browser!.newContext({ viewport: phoneSize, hasTouch: true, timezoneId: "Asia/Jakarta" });
    const first = await phone.newPage();
    await first.goto(gw!.url + school.linkPath);
    await Promise.all([
      first.waitForURL((u) => u.pathname === "/watch"),
      first.click("text=Tonton di HP ini / Watch on this phone"),
    ]);
    await first.close();
  }
  const page = await phone.newPage();
  await page.goto(`${gw!.url}/watch${query}`);
  await page.locator(`#cameras button.camera[data-camera="${school.cameraId}"]`).waitFor();
  return page;
}

/** Every WebSocket and /live/ request a page makes, and whether the service worker answered any. */
function recordMedia(page: Page) {
  const media: string[] = [];
  const fromWorker: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/live/")) media.push(r.url());
  });
  page.on("websocket", (ws) => media.push(ws.url()));
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if ((path.startsWith("/live/") || path.startsWith("/api/")) && r.fromServiceWorker())
      fromWorker.push(path);
  });
  return { media, fromWorker };
}

describe("the parent app on a phone", () => {
  it("plays over WebSocket with the state shown, every control 44 px or more, and passes axe", async () => {
    const page = await parentPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.tap(`#cameras button.camera[data-camera="${school.cameraId}"]`);
    const s = await playing(page, "WebSocket");
    expect(s.status).toBe("");
    expect(s.phaseText).toBe("Langsung");
    expect(await page.evaluate("document.querySelector('video').src")).toMatch(/^blob:/);

    const sizes = await page.evaluate<{ id: string; w: number; h: number }[]>(`Array.from(
      document.querySelectorAll("button, select")).filter((el) => el.offsetParent !== null).map((el) => {
        const r = el.getBoundingClientRect();
        return { id: el.id || el.className, w: r.width, h: r.height };
      })`);
    expect(sizes.map((x) => x.id)).toEqual(expect.arrayContaining(["lang", "rendition", "camera"]));
    for (const x of sizes) {
      expect(x.w, `${x.id} width`).toBeGreaterThanOrEqual(44);
      expect(x.h, `${x.id} height`).toBeGreaterThanOrEqual(44);
    }
    await expectAccessible(page, "parent page, playing");
    await saveScreenshot(page, "parent-live-phone");
    await page.close();
    expect(errors).toEqual([]);
  });

  it("is installable, and its service worker keeps the shell only: no media or API answer comes from it", async () => {
    const manifest = await fetch(`${gw!.url}/manifest.webmanifest`);
    expect(manifest.headers.get("content-type")).toMatch(/^application\/manifest\+json/);
    const m = (await manifest.json()) as {
      start_url: string;
      display: string;
      icons: { sizes: string; purpose: string }[];
    };
    expect(m).toMatchObject({ start_url: "/watch", display: "standalone" });
    expect(m.icons.map((i) => `${i.sizes} ${i.purpose}`)).toEqual([
      "192x192 any",
      "512x512 any",
      "512x512 maskable",
    ]);
    for (const icon of ["icon-192.png", "icon-512.png", "icon-maskable-512.png", "apple-touch-icon.png"]) {
      const r = await fetch(`${gw!.url}/icons/${icon}`);
      expect(r.headers.get("content-type"), icon).toBe("image/png");
    }
    const sw = await fetch(`${gw!.url}/sw.js`);
    expect(sw.headers.get("cache-control")).toBe("no-cache");
    expect(sw.headers.get("content-type")).toMatch(/^text\/javascript/);

    const page = await parentPage("?mode=hls");
    expect(await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")).toBe(true);
    // A page loaded before the worker was installed is not controlled; the next load is.
    await page.reload();
    expect(await page.evaluate("navigator.serviceWorker.controller !== null")).toBe(true);
    const seenMedia = recordMedia(page);
    await page.tap(`#cameras button.camera[data-camera="${school.cameraId}"]`);
    await playing(page, "LL-HLS");
    expect(await page.evaluate("document.querySelector('video').src")).toMatch(/^blob:/);
    expect(seenMedia.media.some((u) => /\/live\/[^/]+\/.*\.m3u8/.test(u))).toBe(true);
    expect(seenMedia.fromWorker).toEqual([]);
    const cached = await page.evaluate<string[]>(
      `caches.keys().then((names) => Promise.all(names.map((n) => caches.open(n).then((c) => c.keys())))).then((all) => all.flat().map((r) => new URL(r.url).pathname))`,
    );
    expect(cached).toEqual(expect.arrayContaining(["/watch", "/assets/player.js"]));
    expect(cached.filter((p) => /^\/(live|api|a)\//.test(p))).toEqual([]);
    await page.close();
  });

  it("recovers by itself after a network drop, without a reload", async () => {
    const page = await parentPage();
    await page.tap(`#cameras button.camera[data-camera="${school.cameraId}"]`);
    await playing(page, "before the drop");
    // A mark on this document: a reload would lose it.
    await page.evaluate("window.__sameDocument = true");
    await phone!.setOffline(true);
    const off = await waitFor("the offline text", async () => {
      const v = await seen(page);
      return v.phase === "offline" ? v : undefined;
    });
    expect(off.status).toBe("Tidak ada internet. Video lanjut sendiri saat tersambung lagi.");
    expect(off.phaseText).toBe("Tanpa internet");
    await phone!.setOffline(false);
    const back = await playing(page, "after the drop");
    expect(back.status).toBe("");
    expect(await page.evaluate("window.__sameDocument === true")).toBe(true);
    await page.close();
  });

  it("stops streaming while hidden for long and resumes when shown again", async () => {
    const page = await parentPage();
    const sockets: { url: string; closed: boolean }[] = [];
    page.on("websocket", (ws) => {
      const s = { url: ws.url(), closed: false };
      sockets.push(s);
      ws.on("close", () => (s.closed = true));
    });
    await page.tap(`#cameras button.camera[data-camera="${school.cameraId}"]`);
    await playing(page, "before hiding");
    // The page's own visibilitychange listener runs, with document.visibilityState as a phone's browser sets it.
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate(
        `Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "${state}" });
         Object.defineProperty(document, "hidden", { configurable: true, get: () => ${String(state === "hidden")} });
         document.dispatchEvent(new Event("visibilitychange"))`,
      );
    await setVisibility("hidden");
    await waitFor("the stream dropped while hidden", async () =>
      (await seen(page)).phase === "suspended" ? true : undefined,
    );
    await waitFor("the socket closed", () =>
      sockets.length > 0 && sockets.every((s) => s.closed) ? true : undefined,
    );
    await setVisibility("visible");
    const resumed = await playing(page, "shown again");
    expect(resumed.status).toBe("");
    expect(sockets.filter((s) => !s.closed)).toHaveLength(1);
    await page.close();
  });

  it("outside the window: explains with the next window and makes no media request", async () => {
    const context = await browser!.newContext({
      viewport: phoneSize,
      hasTouch: true,
      timezoneId: "Asia/Jakarta",
    });
    try {
      const page = await context.newPage();
      await page.goto(gw!.url + closed.linkPath);
      await Promise.all([
        page.waitForURL((u) => u.pathname === "/watch"),
        page.click("text=Tonton di HP ini / Watch on this phone"),
      ]);
      const requests = recordMedia(page);
      const listed = await waitFor("the closed camera's line", async () => {
        const v = await seen(page);
        return v.rows.length > 0 ? v : undefined;
      });
      expect(listed.rows[0]?.state).toBe("Di luar jam tayang, kembali besok pukul 07.00");
      await page.tap(`#cameras button.camera[data-camera="${closed.cameraId}"]`);
      const s = await waitFor("the outside-hours text", async () => {
        const v = await seen(page);
        return v.status.startsWith("Di luar jam tayang") ? v : undefined;
      });
      expect(s.status).toBe("Di luar jam tayang. Bisa ditonton lagi besok pukul 07.00.");
      await page.click("#lang");
      expect((await seen(page)).status).toBe("Outside viewing hours. Viewable again tomorrow at 07:00.");
      await page.click("#lang");
      await expectAccessible(page, "parent page, outside hours");
      await saveScreenshot(page, "parent-outside-hours-phone");
      expect(requests.media).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("on a desktop too", async () => {
    const context = await browser!.newContext({ viewport: desktopSize, timezoneId: "Asia/Jakarta" });
    try {
      const page = await context.newPage();
      await page.goto(gw!.url + school.linkPath);
      await Promise.all([
        page.waitForURL((u) => u.pathname === "/watch"),
        page.click("text=Tonton di HP ini / Watch on this phone"),
      ]);
      await page.click(`#cameras button.camera[data-camera="${school.cameraId}"]`);
      await playing(page, "desktop");
      await expectAccessible(page, "parent page, desktop");
      await saveScreenshot(page, "parent-live-desktop");
    } finally {
      await context.close();
    }
  });

  it("revoked while watching: the page says so within 3 s", async () => {
    const page = await parentPage();
    await page.tap(`#cameras button.camera[data-camera="${school.cameraId}"]`);
    await playing(page, "before the revocation");
    const revoked = await gw!.admin.request("PATCH", `/api/guardians/${school.guardianId}`, {
      revoked: true,
    });
    expect(revoked.status).toBeLessThan(300);
    // The 3 s bound is issue 12's own acceptance criterion ("revoked while watching → the page says so within
    // 3 s"), so this one test waits with that timeout instead of the usual generous one.
    await expect
      .poll(async () => (await seen(page)).listStatus, { timeout: 3000, interval: 100 })
      .toBe("Akses Anda sudah dicabut. Hubungi sekolah bila ini keliru.");
    expect(await page.isHidden("#stage")).toBe(true);
    await expectAccessible(page, "parent page, revoked");
    await saveScreenshot(page, "parent-revoked-phone");
    await page.close();
  });
});

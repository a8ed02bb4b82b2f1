import type { BrowserContext, Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";

// The guardian page (/watch) in headless Chromium against a real gateway with its demo (test-pattern
// camera, demo guardian link). Playback is real; where a test needs the gateway to say no (a pause, the
// end of the viewing window) or a short token life, the answer is stubbed in the browser.

let gw: TestGateway | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let demoCameraId: string;

beforeAll(async () => {
  gw = await startTestGateway({ demo: true });
  const res = await fetch(`${gw.url}/api/watchable`);
  const list = (await res.json()) as { cameras: { id: string; demo: boolean }[] };
  demoCameraId = list.cameras.find((c) => c.demo)?.id ?? "";
  expect(demoCameraId).not.toBe("");
  browser = await launchChromium();
});

/** One parent's phone for the tests through the demo link: one device cookie, within the device cap. */
let phone: BrowserContext | undefined;
async function parentPhone(): Promise<Page> {
  phone ??= await browser!.newContext();
  return phone.newPage();
}

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
  watermark: string | null;
  watermarkBox: { x: number; y: number; w: number; h: number } | null;
  rows: { classroom: string; camera: string; state: string; pressed: string | null }[];
}

// Polled with evaluate, not waitForFunction: the page's CSP (no eval) stays on, as parents get it.
const readPage = `(() => {
  const v = document.querySelector("video");
  const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : undefined;
  const wm = document.getElementById("watermark");
  const r = wm && !wm.hidden ? wm.getBoundingClientRect() : undefined;
  return {
    decoded: q ? q.totalVideoFrames : 0,
    currentTime: v ? v.currentTime : 0,
    status: document.getElementById("status").textContent,
    listStatus: document.getElementById("list-status").textContent,
    watermark: wm && !wm.hidden ? wm.textContent : null,
    watermarkBox: r ? { x: r.x, y: r.y, w: r.width, h: r.height } : null,
    rows: Array.from(document.querySelectorAll("#cameras button.camera")).map((b) => ({
      classroom: b.querySelector(".classroom").textContent,
      camera: b.querySelector(".camera-name").textContent,
      state: b.querySelector(".state").textContent,
      pressed: b.getAttribute("aria-pressed"),
    })),
  };
})()`;

const seen = (page: Page) => page.evaluate<Seen>(readPage);

async function playing(page: Page, frames = 50): Promise<Seen> {
  const first = await waitFor(`${String(frames)} decoded frames`, async () => {
    const s = await seen(page);
    return s.decoded > frames ? s : undefined;
  });
  return waitFor("playback time to advance", async () => {
    const s = await seen(page);
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
}

describe("the guardian page through the demo parent link", () => {
  it("shows the link's page, registers the device on the button, lists the demo camera, plays it on a tap with the watermark, and is cut by a pause", async (ctx) => {
    // The demo parent link (`/a/<token>`) arrives with the access issue; before it, demoUrl is /demo.
    const demoUrl = gw!.demoUrl;
    if (demoUrl === undefined || !demoUrl.includes("/a/")) ctx.skip();
    const page = await parentPhone();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // The link opens a page that registers nothing (a chat app's preview fetches it too)...
    await page.goto(demoUrl!);
    expect(new URL(page.url()).pathname).toBe(new URL(demoUrl!).pathname);
    expect(await page.textContent("main")).toContain("Sekolah Demo");
    expect(await phone!.cookies()).toEqual([]);
    // ...and the parent taps its button: a same-origin form post that registers the phone, then /watch.
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/watch"),
      page.click("text=Tonton di HP ini / Watch on this phone"),
    ]);
    expect((await phone!.cookies()).map((c) => c.name)).toEqual(["pantau_device"]);
    const listed = await waitFor("the camera list", async () => {
      const s = await seen(page);
      return s.rows.length > 0 ? s : undefined;
    });
    expect(listed.rows[0]?.state).toMatch(/Tayang sekarang/);
    await page.click("#cameras button.camera");
    const s = await playing(page);
    expect(s.status).toBe("");
    const guardianName = (await page.textContent("#greeting"))?.replace(/^Halo, /, "") ?? "";
    expect(guardianName).not.toBe("");
    expect(s.watermark?.startsWith(`${guardianName} · `)).toBe(true);
    expect(s.watermarkBox?.w).toBeGreaterThan(0);
    expect(s.rows[0]?.pressed).toBe("true");

    // The school pauses the classroom: the gateway cuts the socket (4403 paused) and the page says until when.
    const me = await page.evaluate<{ cameras: { classroom: { id: string } }[] }>(
      `fetch("/api/viewer/me").then((r) => r.json())`,
    );
    const classroomId = me.cameras[0]!.classroom.id;
    const paused = await gw!.admin.request("POST", `/api/classrooms/${classroomId}/pause`, { minutes: 30 });
    expect(paused.status).toBeLessThan(300);
    // The demo classroom is shared by the tests below: a failure here must not leave it paused for them.
    onTestFinished(async () => {
      await gw!.admin.request("DELETE", `/api/classrooms/${classroomId}/pause`);
    });
    const cut = await waitFor("the pause text", async () => {
      const v = await seen(page);
      return /Bisa ditonton lagi/.test(v.status) ? v : undefined;
    });
    expect(cut.status).toMatch(/^Kamera dijeda sementara demi privasi\. Bisa ditonton lagi (besok )?pukul/);
    expect(cut.watermark).toBeNull();
    expect(cut.rows[0]?.state).toMatch(/^Dijeda demi privasi sampai (besok )?pukul/);

    // The pause is lifted: the next refresh of the list (every 30 s, or the tab shown again) resumes it.
    const lifted = await gw!.admin.request("DELETE", `/api/classrooms/${classroomId}/pause`);
    expect(lifted.status).toBeLessThan(300);
    await page.evaluate(`document.dispatchEvent(new Event("visibilitychange"))`);
    const resumed = await playing(page, cut.decoded + 25);
    expect(resumed.status).toBe("");
    expect(resumed.watermark).not.toBeNull();
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});

/** `/api/viewer/me` as the backend contract describes it, for the demo camera and one more. */
function meBody(over: { demoStatus?: string; pausedUntil?: string | null } = {}) {
  const now = Date.now();
  const at0700WibTomorrow = new Date(Math.ceil((now + 7 * 3600_000) / 86_400_000) * 86_400_000);
  return {
    guardian: { id: "g1", name: "Ibu Sari" },
    serverTime: new Date(now).toISOString(),
    cameras: [
      {
        id: demoCameraId,
        name: "Kamera depan",
        demo: true,
        classroom: { id: "k1", name: "Kelas 2B" },
        school: { id: "s1", name: "SD Contoh", timeZone: "Asia/Jakarta" },
        renditions: ["main", "sub"],
        status: over.demoStatus ?? "viewable",
        nextViewableAt: null,
        pausedUntil: over.pausedUntil ?? null,
        windowEndsAt: null,
      },
      {
        id: "cam-later",
        name: "Kamera belakang",
        demo: false,
        classroom: { id: "k2", name: "Kelas 3A" },
        school: { id: "s1", name: "SD Contoh", timeZone: "Asia/Jakarta" },
        renditions: ["main"],
        status: "outside_hours",
        // 07:00 WIB (00:00 UTC) on the next school day
        nextViewableAt: at0700WibTomorrow.toISOString(),
        pausedUntil: null,
        windowEndsAt: null,
      },
    ],
  };
}

const json = (route: Route, status: number, body: unknown) =>
  route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });

async function guardianPage(
  query = "",
  me: () => object = () => meBody(),
): Promise<{ page: Page; pageErrors: string[] }> {
  // A parent's phone in the school's zone: times are shown without a zone name.
  const page = await browser!.newPage({ timezoneId: "Asia/Jakarta" });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.route("**/api/viewer/me", (route) => json(route, 200, me()));
  await page.goto(`${gw!.url}/watch${query}`);
  await waitFor("the camera list", async () => ((await seen(page)).rows.length === 2 ? true : undefined));
  return { page, pageErrors };
}

describe("the guardian page against a stubbed /api/viewer/me", () => {
  it("shows each camera's classroom and a plain status line, in Indonesian and in English", async () => {
    const { page, pageErrors } = await guardianPage();
    let s = await seen(page);
    expect(s.rows[0]).toMatchObject({ classroom: "Kelas 2B", camera: "Kamera depan" });
    expect(s.rows[0]?.state).toBe("Tayang sekarang — ketuk untuk menonton");
    expect(s.rows[1]?.state).toMatch(/^Di luar jam tayang, kembali (besok pukul 07\.00|\w+ pukul 07\.00)/);
    await page.click("#lang");
    s = await seen(page);
    expect(s.rows[0]?.state).toBe("Live now — tap to watch");
    expect(s.rows[1]?.state).toMatch(/^Outside viewing hours, back (tomorrow|\w+) at 07:00/);
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it("explains an empty list", async () => {
    const page = await browser!.newPage();
    await page.route("**/api/viewer/me", (route) => json(route, 200, { ...meBody(), cameras: [] }));
    await page.goto(`${gw!.url}/watch`);
    const s = await waitFor("the empty-list text", async () => {
      const v = await seen(page);
      return v.listStatus !== "" && !v.listStatus.startsWith("Memuat") ? v : undefined;
    });
    expect(s.listStatus).toMatch(/Sekolah belum menetapkan kamera/);
    await page.close();
  });

  it("tells a device without a cookie to open the school's link again", async () => {
    const page = await browser!.newPage();
    await page.route("**/api/viewer/me", (route) =>
      json(route, 401, { error: { code: "no_device", message: "no device" } }),
    );
    await page.goto(`${gw!.url}/watch`);
    const s = await waitFor("the no-device text", async () => {
      const v = await seen(page);
      return /terdaftar/.test(v.listStatus) ? v : undefined;
    });
    expect(s.rows).toEqual([]);
    await page.close();
  });

  it("plays a tapped camera over WebSocket MSE with the guardian's name moving over it", async () => {
    const { page, pageErrors } = await guardianPage();
    await page.click(`#cameras button.camera[data-camera="${demoCameraId}"]`);
    const s = await playing(page);
    expect(s.status).toBe("");
    expect(s.watermark).toMatch(/^Ibu Sari · \d\d\.\d\d\.\d\d$/);
    expect(s.rows[0]).toMatchObject({ pressed: "true", state: "Sedang ditonton" });
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it("asks for the sub-stream first on a phone", async () => {
    const page = await browser!.newPage({
      timezoneId: "Asia/Jakarta",
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await page.route("**/api/viewer/me", (route) => json(route, 200, meBody()));
    const watchCalls: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/watch/")) watchCalls.push(r.url());
    });
    await page.goto(`${gw!.url}/watch`);
    await page.tap(`#cameras button.camera[data-camera="${demoCameraId}"]`);
    // The demo camera has no sub-stream: the page asks for it and plays what there is.
    await playing(page, 25);
    expect(watchCalls[0]).toMatch(/\?prefer=sub$/);
    expect(await page.inputValue("#rendition")).toBe("sub");
    await page.close();
  });

  it("says why and until when when the watch call is refused", async () => {
    const pausedUntil = new Date(Date.now() + 30 * 60_000).toISOString();
    const { page } = await guardianPage("", () => meBody({ demoStatus: "paused", pausedUntil }));
    await page.route("**/api/watch/**", (route) =>
      json(route, 403, { error: { code: "paused", message: "paused" } }),
    );
    await page.click(`#cameras button.camera[data-camera="${demoCameraId}"]`);
    const s = await waitFor("the pause text", async () => {
      const v = await seen(page);
      return /Bisa ditonton lagi/.test(v.status) ? v : undefined;
    });
    expect(s.status).toMatch(
      /^Kamera dijeda sementara demi privasi\. Bisa ditonton lagi (besok )?pukul \d\d\.\d\d\.$/,
    );
    expect(s.watermark).toBeNull();
    await page.close();
  });

  it("stops and says why when the WebSocket is closed with 4403", async () => {
    const { page } = await guardianPage("", () => meBody());
    await page.routeWebSocket(/\/live\/.*\/ws$/, (ws) => ws.close({ code: 4403, reason: "outside_hours" }));
    await page.click(`#cameras button.camera[data-camera="${demoCameraId}"]`);
    const s = await waitFor("the outside-hours text", async () => {
      const v = await seen(page);
      return v.status.startsWith("Di luar jam tayang") ? v : undefined;
    });
    expect(s.rows[0]?.pressed).toBe("false");
    await page.close();
  });

  it("hls.js: renews the token before it expires and keeps playing on the new one; a 403 on a part stops it", async () => {
    const { page, pageErrors } = await guardianPage("?mode=hls");
    // The gateway's tokens live 10 minutes; tell the page this one lives 10 s, so it renews after 8 s.
    let watchCalls = 0;
    await page.route("**/api/watch/**", async (route) => {
      watchCalls++;
      const res = await route.fetch();
      const body = (await res.json()) as { expiresAt: string };
      body.expiresAt = new Date(Date.now() + 10_000).toISOString();
      await route.fulfill({
        response: res,
        body: JSON.stringify(body),
        headers: { ...res.headers(), date: new Date().toUTCString() },
      });
    });
    const requests: { url: string }[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/live/")) requests.push({ url: r.url() });
    });
    await page.click(`#cameras button.camera[data-camera="${demoCameraId}"]`);
    await playing(page);
    const token = (u: string) => /\/live\/([^/]+)\//.exec(u)?.[1];
    const firstToken = token(requests[0]!.url);
    await waitFor("a renewal", () => watchCalls >= 2, 15_000);
    const before = await seen(page);
    // The player moves to the new token and stays there: more than 5 requests since the last one on the
    // old token (a request already under way when the token changed may still use it). Counted in
    // requests, not in requests after "renewal + 1 s", a time a loaded machine need not keep.
    const sinceOld = () => requests.length - 1 - requests.findLastIndex((r) => token(r.url) === firstToken);
    await waitFor("requests on the new token only", () => (sinceOld() > 5 ? true : undefined));
    const renewed = new Set(requests.slice(-sinceOld()).map((r) => token(r.url)));
    expect(renewed.size).toBe(1);
    expect(renewed.has(firstToken)).toBe(false);
    // The same hls.js instance went on: the master playlist was loaded once, playback kept advancing.
    expect(requests.filter((r) => /\/live\/[^/]+\/index\.m3u8/.test(r.url))).toHaveLength(1);
    await waitFor("playback to go on after the renewal", async () =>
      (await seen(page)).currentTime > before.currentTime + 1 ? true : undefined,
    );

    // The viewing window ends: the gateway answers media requests with 403 outside_hours.
    await page.route("**/live/**", (route) =>
      json(route, 403, { error: { code: "outside_hours", message: "outside viewing hours" } }),
    );
    const s = await waitFor("the outside-hours text", async () => {
      const v = await seen(page);
      return v.status.startsWith("Di luar jam tayang") ? v : undefined;
    });
    expect(s.watermark).toBeNull();
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});

describe("LL-HLS for a guardian through the real access backend", () => {
  it("plays through hls.js and stops with the reason when a pause refuses the playlists", async (ctx) => {
    const demoUrl = gw!.demoUrl;
    if (demoUrl === undefined || !demoUrl.includes("/a/")) ctx.skip();
    const page = await parentPhone();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(demoUrl!);
    await page.goto(`${gw!.url}/watch?mode=hls`);
    await waitFor("the camera list", async () => ((await seen(page)).rows.length > 0 ? true : undefined));
    await page.click("#cameras button.camera");
    const s = await playing(page);
    expect(s.watermark).not.toBeNull();
    const me = await page.evaluate<{ cameras: { classroom: { id: string } }[] }>(
      `fetch("/api/viewer/me").then((r) => r.json())`,
    );
    const classroomId = me.cameras[0]!.classroom.id;
    expect(
      (await gw!.admin.request("POST", `/api/classrooms/${classroomId}/pause`, { minutes: 5 })).status,
    ).toBeLessThan(300);
    try {
      const cut = await waitFor("the pause text", async () => {
        const v = await seen(page);
        return /Bisa ditonton lagi/.test(v.status) ? v : undefined;
      });
      expect(cut.status).toMatch(/^Kamera dijeda sementara demi privasi\./);
    } finally {
      await gw!.admin.request("DELETE", `/api/classrooms/${classroomId}/pause`);
    }
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});

describe("revocation through the real access backend", () => {
  it("stops the video and says so when the school revokes the guardian", async (ctx) => {
    const demoUrl = gw!.demoUrl;
    if (demoUrl === undefined || !demoUrl.includes("/a/")) ctx.skip();
    const page = await parentPhone();
    await page.goto(demoUrl!);
    await waitFor("the camera list", async () => ((await seen(page)).rows.length > 0 ? true : undefined));
    await page.click("#cameras button.camera");
    await playing(page, 25);
    const me = await page.evaluate<{ guardian: { id: string } }>(
      `fetch("/api/viewer/me").then((r) => r.json())`,
    );
    const revoked = await gw!.admin.request("PATCH", `/api/guardians/${me.guardian.id}`, { revoked: true });
    expect(revoked.status).toBeLessThan(300);
    const s = await waitFor("the revoked text", async () => {
      const v = await seen(page);
      return v.listStatus.startsWith("Akses Anda sudah dicabut") ? v : undefined;
    });
    expect(s.rows).toEqual([]);
    expect(s.watermark).toBeNull();
    expect(await page.isHidden("#stage")).toBe(true);
    await page.close();
  });
});

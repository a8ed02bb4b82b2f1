import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { desktopSize, expectAccessible, openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { seedFleet, type FleetSeed } from "../helpers/fleet-seed.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { receiver } from "../helpers/http-receiver.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The Diskominfo dashboard and the alerts screen in headless Chromium against a real gateway holding a
// regency's fleet (500 schools × 20 cameras, test/helpers/fleet-seed.ts): counts as the API gives them, the
// worst first, filters that narrow, a live camera's death shown without a reload, the month's chart, and
// alert channels and mutes. Timings are the benchmark's (bench/dashboard.ts), not asserted here.

const states = ["offline", "degraded", "unknown", "paused", "online", "disabled"] as const;
const pageSize = 48;

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let seed: FleetSeed;
let camera: TestCamera | undefined;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pantau-dashboard-"));
  seed = seedFleet(dataDir, { schools: 500, camerasPerSchool: 20 });
  // Probes stay off (the seeded cameras are at addresses nobody answers); the live camera's own rendition is
  // its evidence, and a dead one is offline at once.
  gw = await startTestGateway(
    { health: { offlineAfterSeconds: 0, recoverAfterSeconds: 0 }, streaming: { stallSeconds: 2 } },
    { dataDir },
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await camera?.stop();
  await browser.cleanup();
  await gw.close();
});

async function openDashboard(size: { width: number; height: number }, query = ""): Promise<Page> {
  const page = await openConsole(browser, gw.url, { size });
  await page.goto(`${gw.url}/admin#/dashboard${query}`);
  await page.locator(".fleet-tiles").waitFor();
  return page;
}

const shownCount = async (page: Page, filter: string) => {
  const list = page.locator(`.fleet-tiles[data-filter="${filter}"]`);
  await list.waitFor();
  return Number(await list.getAttribute("data-shown"));
};

const tileStates = (page: Page) =>
  page.locator(".fleet-tile").evaluateAll((els) => els.map((e) => e.getAttribute("data-state") ?? ""));

describe("Diskominfo dashboard", () => {
  it("counts every state as the API does and shows the worst first, the longest offline first", async () => {
    const page = await openDashboard(desktopSize);
    const api = (await gw.admin.expect(200, "GET", "/api/fleet")) as { counts: Record<string, number> };
    const health = (await gw.admin.expect(200, "GET", "/api/health")) as { cameras: { state: string }[] };
    for (const s of states) {
      const shown = Number(await page.locator(`.count[data-state="${s}"] .count-n`).textContent());
      expect(shown, s).toBe(api.counts[s]);
      expect(shown, s).toBe(seed.counts[s]);
      expect(shown, s).toBe(health.cameras.filter((c) => c.state === s).length);
    }
    const expected = seed.cameras
      .filter((c) => c.state === "offline")
      .sort((a, b) => a.since - b.since || a.id.localeCompare(b.id))
      .slice(0, pageSize)
      .map((c) => c.id);
    const ids = await page.locator(".fleet-tile").evaluateAll((els) => els.map((e) => e.dataset.cameraId));
    expect(ids).toEqual(expected);
    // Only the page's tiles exist at all; an offline camera is not asked for a picture (it would hold a
    // connection until its timeout), an online one lazily.
    expect(await page.locator(".fleet-tile").count()).toBe(pageSize);
    expect(await page.locator(".fleet-tile img").count()).toBe(0);
    const asked: string[] = [];
    page.on("request", (r) => {
      const m = /\/api\/cameras\/([^/]+)\/snapshot\.jpg$/.exec(r.url());
      if (m?.[1] !== undefined) asked.push(m[1]);
    });
    await page.locator('.count[data-state="online"]').click();
    await page.locator('.fleet-tiles[data-filter="online|||0"]').waitFor();
    expect(await page.locator('.fleet-tile img:not([loading="lazy"])').count()).toBe(0);
    await expect.poll(() => asked.length).toBeGreaterThan(0);
    const onPage = await page.locator(".fleet-tile").evaluateAll((els) => els.map((e) => e.dataset.cameraId));
    for (const id of asked) expect(onPage).toContain(id);
    await page.locator('.count[data-state="online"]').click();
    await page.locator('.fleet-tiles[data-filter="|||0"]').waitFor();
    await expectAccessible(page, "dashboard, desktop");
    await saveScreenshot(page, "console-dashboard-desktop");
    await page.close();
  });

  it("narrows by state, kecamatan and school name, each kept in the address", async () => {
    const page = await openDashboard(phoneSize);
    await page.locator('.count[data-state="degraded"]').click();
    expect(await shownCount(page, "degraded|||0")).toBe(seed.counts.degraded);
    expect(new Set(await tileStates(page))).toEqual(new Set(["degraded"]));
    expect(page.url()).toContain("state=degraded");

    const area = "Coblong";
    await page.locator('select[name="area"]').selectOption(area);
    const inArea = new Set(seed.schools.filter((s) => s.area === area).map((s) => s.id));
    const degradedInArea = seed.cameras.filter((c) => c.state === "degraded" && inArea.has(c.schoolId));
    expect(await shownCount(page, `degraded|${area}||0`)).toBe(degradedInArea.length);
    expect(page.url()).toContain(`area=${area}`);
    for (const a of await page.locator(".fleet-tile .area").allTextContents()) expect(a).toContain(area);

    await page.locator('.count[data-state="degraded"]').click();
    expect(await shownCount(page, `|${area}||0`)).toBe(
      seed.cameras.filter((c) => inArea.has(c.schoolId)).length,
    );

    const school = seed.schools.find((s) => s.area === area && s.name.startsWith("SD Negeri 2"));
    if (school === undefined) throw new Error("no such seeded school");
    await page.locator('input[name="q"]').fill(school.name.toLowerCase());
    const matching = seed.schools.filter((s) => s.area === area && s.name.includes(school.name));
    const expected = seed.cameras.filter((c) => matching.some((s) => s.id === c.schoolId)).length;
    expect(await shownCount(page, `|${area}|${school.name.toLowerCase()}|0`)).toBe(expected);
    expect(decodeURIComponent(page.url().replace(/\+/g, " "))).toContain(`q=${school.name.toLowerCase()}`);
    for (const n of await page.locator(".fleet-school button").allTextContents())
      expect(n).toContain(school.name);
    // The same address opens the same view.
    const again = await openConsole(browser, gw.url, { size: phoneSize });
    await again.goto(page.url());
    expect(await shownCount(again, `|${area}|${school.name.toLowerCase()}|0`)).toBe(expected);
    await expectAccessible(page, "dashboard, phone, filtered");
    await page.locator('input[name="q"]').fill("");
    await page.locator('select[name="area"]').selectOption("");
    await saveScreenshot(page, "console-dashboard-phone");
    await again.close();
    await page.close();
  });

  it("shows a camera that dies while the page is open as offline, without a reload", async () => {
    camera = await startTestCamera({ fps: 10 });
    const school = seed.schools[1];
    if (school === undefined) throw new Error("no seeded school");
    const { id } = await gw.addCamera({
      schoolId: school.id,
      name: "Kamera Langsung & Ma'ruf",
      alwaysOn: true,
      source: { kind: "rtsp", url: camera.url("main") },
    });
    const page = await openDashboard(desktopSize, `?q=${encodeURIComponent(school.name)}`);
    const tile = page.locator(`.fleet-tile[data-camera-id="${id}"]`);
    await expect
      .poll(() => tile.locator("h3").textContent(), { timeout: 30_000 })
      .toBe("Kamera Langsung & Ma'ruf");
    await expect.poll(() => tile.getAttribute("data-state"), { timeout: 30_000 }).toBe("online");
    await page.evaluate("window.notReloaded = true");
    await camera.kill();
    await expect.poll(() => tile.getAttribute("data-state"), { timeout: 40_000 }).toBe("offline");
    expect(await page.evaluate("window.notReloaded === true")).toBe(true);
    expect(await tile.locator(".badge").textContent()).toBe("Luring");
    await page.close();
  }, 90_000);

  it("draws the chosen school's uptime for the month with uPlot, and links the monthly report", async () => {
    const school = seed.schools[3];
    if (school === undefined) throw new Error("no seeded school");
    const page = await openDashboard(desktopSize, `?school=${school.id}`);
    await page.locator(".uptime-canvas canvas").first().waitFor();
    expect(await page.locator(".uptime-month").textContent()).toContain(school.name);
    const report = page.locator(".report-links a").first();
    const href = (await report.getAttribute("href")) ?? "";
    expect(href).toContain(`schoolId=${school.id}`);
    const res = await gw.admin.request("GET", href);
    expect(res.status).toBe(200);
    expect(res.text).toContain(school.name);
    await expectAccessible(page, "dashboard with the uptime chart");
    await page.locator("#uptime").scrollIntoViewIfNeeded();
    await saveScreenshot(page, "console-uptime-chart-desktop");
    await page.close();
  });
});

describe("alerts screen", () => {
  it("refuses a bad channel address at its field, saving nothing; tests and deletes a good one; lists a mute and a window", async () => {
    const page = await openConsole(browser, gw.url, { size: desktopSize });
    await page.goto(`${gw.url}/admin#/alerts`);
    await page.locator(".channel-form").waitFor();
    await page.locator('input[name="url"]').fill("ftp://alerts.example.org/hook");
    await page.locator('input[name="secret"]').fill("a-secret-of-at-least-16");
    await page.locator('.channel-form button[type="submit"]').click();
    const urlField = page.locator(".field.invalid", { has: page.locator('input[name="url"]') });
    await expect.poll(() => urlField.locator(".field-error").textContent()).toContain("ftp:");
    const channels = (await gw.admin.expect(200, "GET", "/api/alert-channels")) as { channels: unknown[] };
    expect(channels.channels).toEqual([]);

    // A good one is listed and takes a test message; deleted, it is gone.
    const hook = await receiver(() => 204);
    try {
      await page.locator('input[name="url"]').fill(`${hook.url}/pantau`);
      await page.locator('input[name="name"]').fill("Posko Diskominfo");
      await page.locator('.channel-form button[type="submit"]').click();
      const row = page.locator("table.channels tr", { hasText: "Posko Diskominfo" });
      await row.waitFor();
      await row.getByRole("button", { name: "Uji" }).click();
      await expect.poll(() => page.locator('.notice.ok[role="status"]').textContent()).toContain("terkirim");
      expect(hook.received.map((r) => r.path)).toEqual(["/pantau"]);
      await row.getByRole("button", { name: "Hapus" }).click();
      await row.waitFor({ state: "detached" });
      expect(
        ((await gw.admin.expect(200, "GET", "/api/alert-channels")) as { channels: unknown[] }).channels,
      ).toEqual([]);
    } finally {
      await hook.close();
    }

    const school = seed.schools[5];
    const target = seed.cameras.find((c) => c.schoolId === school?.id);
    if (school === undefined || target === undefined) throw new Error("no seeded camera");
    await page.locator('select[name="muteSchool"]').selectOption(school.id);
    await page
      .locator(`select[name="muteCamera"] option[value="${target.id}"]`)
      .waitFor({ state: "attached" });
    await page.locator('select[name="muteCamera"]').selectOption(target.id);
    await page.locator('input[name="muteReason"]').fill("Perbaikan listrik");
    await page.locator('.mute-form button[type="submit"]').click();
    await page.locator(`.mute-list li[data-camera-id="${target.id}"]`).waitFor();
    expect(await page.locator(`.mute-list li[data-camera-id="${target.id}"]`).textContent()).toContain(
      target.name,
    );
    const mutes = (await gw.admin.expect(200, "GET", "/api/camera-mutes")) as {
      mutes: { cameraId: string }[];
    };
    expect(mutes.mutes.map((m) => m.cameraId)).toEqual([target.id]);
    // A weekly maintenance window for the same school, listed once added.
    await page.locator('select[name="windowKind"]').selectOption("weekly");
    await page.locator('select[name="windowSchool"]').selectOption(school.id);
    await page.locator(".weekdays label", { hasText: "Sab" }).locator("input").check();
    await page.locator('input[name="windowReason"]').fill("Pemadaman bergilir");
    await page.locator('.window-form button[type="submit"]').click();
    await page.locator(".window-list li", { hasText: "Pemadaman bergilir" }).waitFor();
    const windows = (await gw.admin.expect(200, "GET", "/api/maintenance-windows")) as {
      windows: { kind: string; weekdays: number[]; schoolId: string }[];
    };
    expect(windows.windows).toMatchObject([{ kind: "weekly", weekdays: [6], schoolId: school.id }]);
    await expectAccessible(page, "alerts, desktop");
    await saveScreenshot(page, "console-alerts-desktop");
    await page.setViewportSize(phoneSize);
    await expectAccessible(page, "alerts, phone");
    await page.close();
  });
});

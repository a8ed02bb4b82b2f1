import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { addRtmpCamera, openWizard, readPushSettings, wizardStep } from "../helpers/camera-wizard.js";
import { desktopSize, expectAccessible, openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, testAdminPassword, type TestGateway } from "../helpers/gateway.js";
import { killPushers, pushTestPattern } from "../helpers/rtmp-pusher.js";

// A school admin sets up an NVR that can only push (RTMP) from the console alone: the wizard's push path,
// the settings as an NVR form asks them, a real ffmpeg push with what the page showed, and the camera seen
// online; the camera list shows the settings again on demand. Where RTMP is off the choice says so.

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;

/** A school with a classroom and its school admin, through the operator's API session. */
async function schoolWithAdmin(g: TestGateway): Promise<{ schoolId: string; username: string }> {
  const school = (await g.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri Dorong" })) as {
    id: string;
  };
  await g.admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, { name: "Kelas 1A" });
  const username = `tu-${randomUUID().slice(0, 8)}`;
  await g.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: "Tata Usaha",
    password: testAdminPassword,
    role: "school_admin",
    schoolId: school.id,
  });
  return { schoolId: school.id, username };
}

let username: string;

beforeAll(async () => {
  [gw, browser] = await Promise.all([
    startTestGateway({
      rtmp: { enabled: true, host: "127.0.0.1", port: 0 },
      // Probed every second, online at the first probe that finds the push.
      health: { probeSeconds: 1, offlineAfterSeconds: 0, recoverAfterSeconds: 0 },
    }),
    launchChromium(),
  ]);
  ({ username } = await schoolWithAdmin(gw));
}, 60_000);

afterAll(async () => {
  killPushers();
  await browser.cleanup();
  await gw.close();
});

const cameras = async (g: TestGateway) =>
  (
    (await g.admin.expect(200, "GET", "/api/cameras")) as {
      cameras: { id: string; name: string; classroomId: string | null; source: { kind: string } }[];
    }
  ).cameras;

const publishUrlReads = async (cameraId: string) =>
  (
    (await gw.admin.expect(200, "GET", "/api/audit")) as {
      events: { action: string; target: { id: string } }[];
    }
  ).events.filter((e) => e.action === "camera.publish_url" && e.target.id === cameraId).length;

describe("a camera an NVR pushes over RTMP", () => {
  it("is added in the wizard, pushed to with the server and key the page shows, and seen online; the list shows its settings again", async () => {
    const page = await openConsole(browser, gw.url, {
      size: phoneSize,
      username,
      password: testAdminPassword,
    });
    await openWizard(page, gw.url);
    const choice = page.locator('input[name="method"][value="rtmp"]');
    expect(await choice.isEnabled()).toBe(true);
    await choice.check();
    await expectAccessible(page, "wizard: RTMP push choice");
    expect(await page.locator(".wizard-steps li").count()).toBe(3);

    await addRtmpCamera(page, gw.url, { name: "NVR Kelas 1A", classroom: "Kelas 1A" });
    const panel = page.locator(".wizard-done .push-settings");
    const shown = await readPushSettings(panel);
    const port = String(gw.rtmp?.port);
    // As NVR forms ask them: the server, and the key that follows it; and the two together.
    expect(shown.server).toBe(`rtmp://127.0.0.1:${port}/live`);
    expect(shown.streamKey).toMatch(/^cam_[^/?]+\?sign=\d+-[0-9a-f]{64}$/);
    expect(shown.url).toBe(`${shown.server}/${shown.streamKey}`);
    // The expiry as a date and time on the school's clock (a year ahead: rtmp.publishUrlDays).
    expect(shown.expiry).toMatch(/^Berlaku sampai \d{1,2} \S+ \d{4}, \d{2}\.\d{2}\.$/);
    expect(await panel.textContent()).toContain("URL ini adalah kunci");
    expect(await panel.locator(".push-state").textContent()).toContain(
      "Kamera tampil menyala setelah NVR mulai mengirim",
    );
    await expectAccessible(page, "wizard: NVR settings");
    await page.setViewportSize(desktopSize);
    await saveScreenshot(page, "console-rtmp-wizard-settings-desktop");
    await page.setViewportSize(phoneSize);
    await saveScreenshot(page, "console-rtmp-wizard-settings-phone");

    const saved = (await cameras(gw)).filter((c) => c.name === "NVR Kelas 1A");
    expect(saved).toHaveLength(1);
    const cam = saved[0] as (typeof saved)[number];
    expect(cam.source.kind).toBe("rtmp");
    expect(cam.classroomId).not.toBeNull();
    expect(shown.streamKey.startsWith(`${cam.id}?`)).toBe(true);

    // The NVR's stand-in pushes with what the admin copied from the page.
    const pusher = pushTestPattern(`${shown.server}/${shown.streamKey}`);
    await expect
      .poll(() => panel.locator(".push-state .badge").textContent(), { timeout: 30_000 })
      .toBe("Menyala");
    await panel.locator('.live-preview video[data-state="live"]').waitFor({ timeout: 30_000 });
    await saveScreenshot(page, "console-rtmp-wizard-online-phone");

    // Issuing a new URL asks first, saying what it breaks; cancelled, nothing changes.
    await panel.getByRole("button", { name: /^Buat URL baru/ }).click();
    expect(await panel.locator(".confirm-question").textContent()).toContain("URL lama berhenti bekerja");
    await expectAccessible(page, "NVR settings: new URL asked");
    await panel.locator(".confirm").getByRole("button", { name: "Batal" }).click();
    expect(await panel.locator('[name="stream-key"]').inputValue()).toBe(shown.streamKey);

    // The list reads no publish URL (an audited credential) until the admin asks for it.
    const reads = await publishUrlReads(cam.id);
    await page.goto(`${gw.url}/admin#/cameras`);
    const card = page.locator(".camera-card", { hasText: "NVR Kelas 1A" });
    await card.waitFor();
    expect(await card.locator(".camera-source").textContent()).toBe("Dikirim lewat RTMP (push) oleh NVR");
    expect(await card.locator(".push-settings").count()).toBe(0);
    expect(await publishUrlReads(cam.id)).toBe(reads);
    await card.getByRole("button", { name: /^Pengaturan NVR/ }).click();
    const again = await readPushSettings(card.locator(".push-settings"));
    expect(again.server).toBe(shown.server);
    expect(again.streamKey.startsWith(`${cam.id}?sign=`)).toBe(true);
    expect(await publishUrlReads(cam.id)).toBe(reads + 1);
    await expect.poll(() => card.locator(".push-state .badge").textContent()).toBe("Menyala");
    await expectAccessible(page, "cameras: NVR settings");
    await page.setViewportSize(desktopSize);
    await saveScreenshot(page, "console-rtmp-cameras-settings-desktop");
    await card.getByRole("button", { name: /^Tutup pengaturan NVR/ }).click();
    expect(await card.locator(".push-settings").count()).toBe(0);

    pusher.stop();
    await pusher.exit;
    await page.context().close();
  }, 90_000);
});

describe("a new publish URL", () => {
  it("is issued after a confirmation that says what stops: the old URL's push is cut and refused, the new one is taken", async () => {
    const cam = (await cameras(gw)).find((c) => c.name === "NVR Kelas 1A");
    expect(cam).toBeDefined();
    const page = await openConsole(browser, gw.url, {
      size: desktopSize,
      username,
      password: testAdminPassword,
    });
    await page.goto(`${gw.url}/admin#/cameras`);
    const card = page.locator(".camera-card", { hasText: "NVR Kelas 1A" });
    await card.getByRole("button", { name: /^Pengaturan NVR/ }).click();
    const panel = card.locator(".push-settings");
    const old = await readPushSettings(panel);
    const oldPush = pushTestPattern(old.url);
    await expect
      .poll(() => panel.locator(".push-state .badge").textContent(), { timeout: 30_000 })
      .toBe("Menyala");

    await panel.getByRole("button", { name: /^Buat URL baru/ }).click();
    await panel.getByRole("button", { name: "Ya, buat URL baru" }).click();
    await panel.locator(".notice.ok", { hasText: "URL baru dibuat" }).waitFor();
    const fresh = await readPushSettings(panel);
    expect(fresh.server).toBe(old.server);
    expect(fresh.streamKey).not.toBe(old.streamKey);
    expect(fresh.url).toBe(`${fresh.server}/${fresh.streamKey}`);
    // The push on the old URL is cut, and the old URL is refused from now on.
    expect(await oldPush.exit).not.toBe(0);
    expect(await pushTestPattern(old.url, 20).exit).not.toBe(0);
    await expect
      .poll(() => panel.locator(".push-state .badge").textContent(), { timeout: 30_000 })
      .toBe("Mati");
    // The card's own badge, read with the list, follows the live feed too.
    await expect.poll(() => card.locator(".camera-body > p .badge").first().textContent()).toBe("Mati");
    await expectAccessible(page, "NVR settings: new URL issued");
    await saveScreenshot(page, "console-rtmp-new-url-desktop");

    const newPush = pushTestPattern(fresh.url);
    await expect
      .poll(() => panel.locator(".push-state .badge").textContent(), { timeout: 30_000 })
      .toBe("Menyala");
    newPush.stop();
    await newPush.exit;
    await page.context().close();
  }, 90_000);
});

describe("where RTMP is off", () => {
  it("the choice says so and how an operator turns it on, and nothing can be created", async () => {
    const off = await startTestGateway();
    try {
      const { username: offAdmin } = await schoolWithAdmin(off);
      const page = await openConsole(browser, off.url, {
        size: phoneSize,
        username: offAdmin,
        password: testAdminPassword,
      });
      await openWizard(page, off.url);
      const choice = page.locator('input[name="method"][value="rtmp"]');
      expect(await choice.isDisabled()).toBe(true);
      const hint = page.locator("#rtmp-choice-hint");
      expect(await hint.textContent()).toContain("penerimaan RTMP mati di gateway ini");
      expect(await hint.textContent()).toContain("rtmp.enabled");
      // The explanation is the choice's description, so a screen reader says why it is off.
      expect(await choice.getAttribute("aria-describedby")).toBe("rtmp-choice-hint");
      await choice.check({ force: true }).catch(() => undefined);
      expect(await page.locator('input[name="method"]:checked').getAttribute("value")).toBe("onvif");
      expect(await wizardStep(page, "find").count()).toBe(1);
      await expectAccessible(page, "wizard: RTMP off");
      await saveScreenshot(page, "console-rtmp-off-phone");
      await page.getByRole("button", { name: "English" }).click();
      expect(await hint.textContent()).toContain("An operator turns it on with the setting rtmp.enabled");
      expect(await cameras(off)).toEqual([]);
      await page.context().close();
    } finally {
      await off.close();
    }
  }, 60_000);
});

import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import {
  chooseDevice,
  nameAndSave,
  next,
  openWizard,
  scanRange,
  submitLogin,
  waitForTestAndPreview,
  wizardStep,
} from "../helpers/camera-wizard.js";
import { desktopSize, expectAccessible, openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, testAdminPassword, type TestGateway } from "../helpers/gateway.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
} from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The cameras screen and the add-camera wizard in headless Chromium, through the console only, against a
// real gateway, the ONVIF simulator in front of the GStreamer test camera on a loopback address of this
// file's own (a range scan of its /29, as test/integration/onvif-onboarding.test.ts scans loopback).

const creds = { username: "admin", password: "Kamera-123" };
// What the device calls itself in its scopes: whatever a device says is shown as text, never as markup.
const scopeName = "<b>Kelas 1A</b> depan";

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rtsp: TestCamera;
let onvif: OnvifCamera;
let forger: OnvifCamera | undefined;
let host: string;
let forgerHost: string;
let movedHost: string;
let schoolId: string;
let admin: { username: string };
const uuid = `urn:uuid:${randomUUID()}`;

beforeAll(async () => {
  host = randomLoopbackHost();
  forgerHost = randomLoopbackHost();
  movedHost = randomLoopbackHost();
  gw = await startTestGateway({
    onvif: {
      scanSeconds: 2,
      soapTimeoutSeconds: 2,
      reprobeRanges: [`${forgerHost}/32`, `${movedHost}/32`],
    },
  });
  schoolId = (
    (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri Kamera" })) as { id: string }
  ).id;
  await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, { name: "Kelas 1A" });
  const username = `tu-${randomUUID().slice(0, 8)}`;
  await gw.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: "Tata Usaha",
    password: testAdminPassword,
    role: "school_admin",
    schoolId,
  });
  admin = { username };
  [rtsp, browser] = await Promise.all([
    startTestCamera({ host, ...testCameraStreams, ...creds }),
    launchChromium(),
  ]);
  onvif = await startOnvifCamera({
    host,
    uuid,
    ...creds,
    // An hour behind: the inspect step must warn about the clock.
    skewSeconds: -3600,
    ...profilesOf(rtsp),
    name: scopeName,
    hardware: "DS-2CD2143G0-I",
    manufacturer: "HIKVISION",
    model: "DS-2CD2143G0-I",
  });
}, 60_000);

afterAll(async () => {
  await browser.cleanup();
  await forger?.stop();
  await onvif.stop();
  await rtsp.stop();
  await gw.close();
});

const signedIn = (size: { width: number; height: number }) =>
  openConsole(browser, gw.url, { size, username: admin.username, password: testAdminPassword });

const cameras = async () =>
  ((await gw.admin.expect(200, "GET", "/api/cameras")) as { cameras: { id: string; name: string }[] })
    .cameras;

/** Checks the page at phone size, then takes a desktop screenshot and returns to phone size. */
async function atDesktop(page: Page, name: string): Promise<void> {
  await page.setViewportSize(desktopSize);
  await saveScreenshot(page, name);
  await page.setViewportSize(phoneSize);
}

describe("add a camera with the wizard", () => {
  it("ONVIF: scan → device → wrong then right password → inspect → streams → measured test with live preview → classroom → saved", async () => {
    const page = await signedIn(phoneSize);
    await openWizard(page, gw.url);
    expect(await page.locator('.wizard-steps li[aria-current="step"]').textContent()).toContain(
      "Cari kamera",
    );
    await expectAccessible(page, "wizard: find");

    await scanRange(page, `${host}/29`);
    const device = page.locator(".scan-results .device", { hasText: host });
    await device.waitFor();
    // The device's own name is text: no <b> element came from it.
    expect(await device.locator(".device-name").textContent()).toBe(scopeName);
    expect(await device.locator("b").count()).toBe(0);
    expect(await device.textContent()).toContain("DS-2CD2143G0-I");
    await expectAccessible(page, "wizard: scan results");
    await saveScreenshot(page, "console-wizard-scan-phone");

    await chooseDevice(page, host);
    await expectAccessible(page, "wizard: login");
    await submitLogin(page, creds.username, "salah-sandi");
    await expect
      .poll(() => page.locator('.wizard-step [role="alert"]').textContent())
      .toContain("Kamera menolak nama pengguna atau kata sandi");
    expect(await wizardStep(page, "login").count()).toBe(1);

    await submitLogin(page, creds.username, creds.password);
    await wizardStep(page, "inspect").waitFor();
    expect(await page.locator(".facts .maker").textContent()).toBe("HIKVISION");
    expect(await page.locator(".facts .model").textContent()).toBe("DS-2CD2143G0-I");
    expect(await page.locator(".facts .clock").textContent()).toMatch(/1 jam lebih lambat.*Perlu disetel/);
    expect(await page.locator("table.profiles tbody tr").count()).toBe(2);
    expect(await page.locator("table.profiles").textContent()).toContain("640×360");
    await expectAccessible(page, "wizard: inspect");
    await atDesktop(page, "console-wizard-inspect-desktop");

    await next(page);
    await wizardStep(page, "streams").waitFor();
    // The suggestion is preselected: the larger profile as main, the smaller as sub.
    const main = await page
      .locator('input[name="main"]:checked')
      .evaluate((e) => e.parentElement?.textContent);
    const sub = await page.locator('input[name="sub"]:checked').evaluate((e) => e.parentElement?.textContent);
    expect(main).toContain("640×360");
    expect(sub).toContain("320×180");
    await expectAccessible(page, "wizard: streams");
    // Back and forth, and the other language, keep what was gathered.
    await page.locator(".wizard-step .actions button", { hasText: "Kembali" }).click();
    await wizardStep(page, "inspect").waitFor();
    await page.getByRole("button", { name: "English" }).click();
    expect(await page.locator(".facts dt").first().textContent()).toBe("Maker");
    expect(await page.locator(".facts .maker").textContent()).toBe("HIKVISION");
    await page.getByRole("button", { name: "Bahasa Indonesia" }).click();
    await next(page);
    await wizardStep(page, "streams").waitFor();
    expect(
      await page.locator('input[name="main"]:checked').evaluate((e) => e.parentElement?.textContent),
    ).toBe(main);
    await next(page);

    await wizardStep(page, "test").waitFor();
    await waitForTestAndPreview(page);
    const row = (n: number) => page.locator("table.stream-tests tbody tr").nth(n);
    expect(await row(0).locator(".codec").textContent()).toContain("H.264");
    expect(await row(0).locator(".size").textContent()).toBe("640×360");
    expect(await row(1).locator(".size").textContent()).toBe("320×180");
    // Counted from two seconds of the stream: the test camera sends 25 fps.
    const fps = Number(await row(0).locator(".fps").textContent());
    expect(fps).toBeGreaterThan(20);
    expect(fps).toBeLessThan(30);
    expect(await row(0).locator(".bitrate").textContent()).toMatch(/^\d+(\.\d)? (k|M)bit\/s$/);
    await page.locator('.live-preview video[data-state="live"]').waitFor();
    await expectAccessible(page, "wizard: test");
    await atDesktop(page, "console-wizard-test-desktop");
    await next(page);

    await wizardStep(page, "room").waitFor();
    await expectAccessible(page, "wizard: name and classroom");
    // Markup typed as a name is refused on the field, in plain words, and nothing changes.
    await nameAndSave(page, "<script>x</script>", "Kelas 1A");
    await expect.poll(() => page.locator(".wizard-step .field-error").textContent()).toContain("tanpa < >");
    await nameAndSave(page, "Kelas 1A depan & 'luar'", "Kelas 1A");
    await wizardStep(page, "done").waitFor();
    await expectAccessible(page, "wizard: done");

    await page.locator('.wizard-done a[href="#/cameras"]').click();
    const card = page.locator(".camera-card", { hasText: "Kelas 1A depan & 'luar'" });
    await card.waitFor();
    expect(await card.locator(".camera-name").textContent()).toBe("Kelas 1A depan & 'luar'");
    expect(await card.locator(".camera-room").textContent()).toBe("Kelas 1A");
    const saved = (await cameras()).filter((c) => c.name === "Kelas 1A depan & 'luar'");
    expect(saved).toHaveLength(1);
    const stored = (await gw.admin.expect(200, "GET", `/api/cameras/${saved[0]?.id ?? ""}`)) as {
      source: Record<string, unknown>;
      classroomId: string | null;
    };
    expect(stored.source).toMatchObject({ kind: "onvif", host, deviceUuid: uuid, hasPassword: true });
    expect(stored.classroomId).not.toBeNull();
    await page.close();
  }, 90_000);

  it("RTSP URL: a bad address is refused on its field and nothing is saved; a good one is tested, previewed and saved", async () => {
    const page = await signedIn(phoneSize);
    const before = (await cameras()).length;
    await openWizard(page, gw.url);
    await page.locator('input[name="method"][value="rtsp"]').check();
    await expectAccessible(page, "wizard: RTSP address");
    await page.locator('.wizard-step input[name="url"]').fill(`http://${host}/snapshot.jpg`);
    await next(page);
    await wizardStep(page, "login").waitFor();
    await submitLogin(page, creds.username, creds.password);
    // Back on the address step, the error on the field, in Bahasa Indonesia, saying what to do.
    await wizardStep(page, "find").waitFor();
    await expect
      .poll(() => page.locator(".wizard-step .field-error").textContent())
      .toContain("Hanya alamat rtsp:// atau rtsps://");
    expect(await page.locator('.wizard-step input[name="url"]').inputValue()).toBe(
      `http://${host}/snapshot.jpg`,
    );
    expect((await cameras()).length).toBe(before);
    await expectAccessible(page, "wizard: RTSP address refused");

    const toTest = async () => {
      await page.locator('.wizard-step input[name="url"]').fill(rtsp.url("main"));
      await page.locator('.wizard-step input[name="subUrl"]').fill(rtsp.url("sub"));
      await next(page);
      await wizardStep(page, "login").waitFor();
      await submitLogin(page, creds.username, creds.password);
      await wizardStep(page, "test").waitFor();
      await waitForTestAndPreview(page);
    };
    await toTest();
    // The preview needs the camera saved (without a classroom); cancelling removes it again.
    expect((await cameras()).length).toBe(before + 1);
    await page.getByRole("button", { name: "Batalkan dan hapus kamera ini" }).click();
    await page.locator('a[href="#/cameras/new"]').waitFor();
    expect((await cameras()).length).toBe(before);

    await openWizard(page, gw.url);
    await page.locator('input[name="method"][value="rtsp"]').check();
    await toTest();
    expect(await page.locator("table.stream-tests tbody tr").count()).toBe(2);
    await next(page);
    await nameAndSave(page, "Lorong 'utama' & tangga", "");
    await wizardStep(page, "done").waitFor();
    const saved = (await cameras()).filter((c) => c.name === "Lorong 'utama' & tangga");
    expect(saved).toHaveLength(1);
    await page.close();
  }, 60_000);
});

describe("the camera list", () => {
  it("shows state and last picture, decides camera moves, edits, disables, and removes after confirming", async () => {
    // Another device claims the registered camera's UUID while the camera still answers: a pending move.
    forger = await startOnvifCamera({ host: forgerHost, uuid, openDeviceInfo: true });
    await gw.addressWatcher.runOnce();

    const page = await signedIn(desktopSize);
    await page.goto(`${gw.url}/admin#/cameras`);
    const move = page.locator(".camera-moves .move");
    await move.waitFor();
    expect(await move.textContent()).toContain(forgerHost);
    expect(await move.textContent()).toContain("masih menjawab");
    await page.locator(".camera-card").first().waitFor();
    for (const img of await page.locator(".camera-card img.snapshot").all()) {
      expect(await img.getAttribute("alt")).toMatch(/^Gambar terakhir dari /);
    }
    await expectAccessible(page, "cameras");
    await saveScreenshot(page, "console-cameras-desktop");

    await move.getByRole("button", { name: /Abaikan/ }).click();
    await expect.poll(() => page.locator(".camera-moves").count()).toBe(0);
    const statuses = async () =>
      (
        (await gw.admin.expect(200, "GET", `/api/camera-moves?schoolId=${schoolId}&status=all`)) as {
          moves: { status: string; to: string }[];
        }
      ).moves.map((m) => `${m.to} ${m.status}`);
    expect(await statuses()).toEqual([`${forgerHost} dismissed`]);

    // The camera really moved (DHCP gave it another address): the admin confirms, and it is followed there.
    await forger.stop();
    forger = await startOnvifCamera({ host: movedHost, uuid, openDeviceInfo: true });
    await gw.addressWatcher.runOnce();
    await page.reload();
    await page.locator(".camera-moves .move", { hasText: movedHost }).waitFor();
    await page
      .locator(".camera-moves .move")
      .getByRole("button", { name: /^Konfirmasi pindah ke / })
      .click();
    await expect.poll(() => page.locator(".camera-moves").count()).toBe(0);
    expect((await statuses()).sort()).toEqual([`${forgerHost} dismissed`, `${movedHost} confirmed`].sort());
    await expect
      .poll(() => page.locator(".camera-card", { hasText: "Kelas 1A depan" }).textContent())
      .toContain(movedHost);

    const card = page.locator(".camera-card", { hasText: "Lorong 'utama' & tangga" });
    await card.getByRole("button", { name: /^Ubah/ }).click();
    await card.locator('input[name="name"]').fill("Lorong utama");
    await card.locator('select[name="classroomId"]').selectOption({ label: "Kelas 1A" });
    await card.locator("button[type=submit]").click();
    const renamed = page.locator(".camera-card", { hasText: "Lorong utama" });
    await expect.poll(() => renamed.locator(".camera-room").textContent()).toBe("Kelas 1A");

    await renamed.getByRole("button", { name: /^Nonaktifkan/ }).click();
    await expect.poll(() => renamed.locator(".badge").textContent()).toBe("Nonaktif");
    const id = (await cameras()).find((c) => c.name === "Lorong utama")?.id ?? "";
    expect(((await gw.admin.expect(200, "GET", `/api/cameras/${id}`)) as { enabled: boolean }).enabled).toBe(
      false,
    );

    await renamed.getByRole("button", { name: /^Hapus/ }).click();
    await renamed.getByRole("button", { name: "Ya, hapus" }).click();
    await expect.poll(() => page.locator(".camera-card", { hasText: "Lorong utama" }).count()).toBe(0);
    expect((await cameras()).some((c) => c.id === id)).toBe(false);

    await page.setViewportSize(phoneSize);
    await expectAccessible(page, "cameras (phone)");
    await saveScreenshot(page, "console-cameras-phone");
    await page.close();
  }, 60_000);
});

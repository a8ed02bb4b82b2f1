import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { addOnvifCamera } from "../helpers/camera-wizard.js";
import { openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, testAdminPassword, type TestGateway } from "../helpers/gateway.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
} from "../helpers/onvif-camera.js";
import { allWeek } from "../helpers/school-fixture.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// Issue 12's journey, through the console only: a school admin scans, adds the ONVIF simulator's camera with
// the wizard and assigns it to a classroom, imports a roster (a bad file, then the fixed one), records a
// guardian's consent, prints the classroom's QR sheet and issues a link; a parent opens the link on a phone
// and plays. The operator's setup (the school, its classroom and the admin's account) goes through the API.

const creds = { username: "admin", password: "Kamera-123" };
const schoolName = "SD Negeri 5 Tunas & Harapan";
const guardianName = "Ibu Sari D'Souza & Keluarga";
const childName = "Ayu";

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rtsp: TestCamera;
let onvif: OnvifCamera;
let host: string;
let tmp: string;
let adminUser: string;

beforeAll(async () => {
  host = randomLoopbackHost();
  tmp = mkdtempSync(join(tmpdir(), "pantau-journey-"));
  gw = await startTestGateway({
    onvif: { scanSeconds: 2, soapTimeoutSeconds: 2 },
    dev: { openStreams: false },
  });
  const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: schoolName })) as { id: string };
  const room = (await gw.admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
    name: "Kelas 1A",
  })) as { id: string };
  await gw.admin.expect(200, "PUT", `/api/classrooms/${room.id}/schedule`, allWeek);
  adminUser = `tu-${randomUUID().slice(0, 8)}`;
  await gw.admin.expect(201, "POST", "/api/users", {
    username: adminUser,
    displayName: "Tata Usaha",
    password: testAdminPassword,
    role: "school_admin",
    schoolId: school.id,
  });
  [rtsp, browser] = await Promise.all([
    startTestCamera({ host, ...testCameraStreams, ...creds }),
    launchChromium(),
  ]);
  onvif = await startOnvifCamera({
    host,
    uuid: `urn:uuid:${randomUUID()}`,
    ...creds,
    ...profilesOf(rtsp),
    // What a device calls itself is shown as text, never as markup.
    name: "<i>Kamera</i> lorong",
    manufacturer: "HIKVISION",
    model: "DS-2CD2143G0-I",
  });
}, 60_000);

afterAll(async () => {
  await browser.cleanup();
  await onvif.stop();
  await rtsp.stop();
  await gw.close();
  rmSync(tmp, { recursive: true, force: true });
});

const guardianCard = (page: Page, name: string) =>
  page.locator("article.guardian").filter({ has: page.getByRole("heading", { name, exact: true }) });

describe("a school admin, through the console only, and a parent", () => {
  it("adds a camera, imports the roster, records consent, prints the QR sheet, issues a link; the parent plays", async () => {
    const page = await openConsole(browser, gw.url, { username: adminUser, password: testAdminPassword });

    // The camera: scan a loopback range, pick the simulator, log in, inspect, streams, test, classroom, save.
    await addOnvifCamera(page, gw.url, {
      cidr: `${host}/29`,
      deviceText: host,
      ...creds,
      name: "Kelas 1A depan",
      classroom: "Kelas 1A",
    });
    await page.goto(`${gw.url}/admin#/cameras`);
    const cameraCard = page.locator(".camera-card", { hasText: "Kelas 1A depan" });
    await expect.poll(() => cameraCard.locator(".camera-room").textContent()).toContain("Kelas 1A");

    // The roster: a file naming a classroom the school lacks is refused line by line, nothing changes.
    await page.goto(`${gw.url}/admin#/guardians`);
    await page.getByRole("link", { name: "Impor daftar (CSV)" }).click();
    const file = page.locator('input[type="file"]');
    await file.setInputFiles({
      name: "roster.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(
        `nama_wali,telepon,nama_anak,kelas\n"${guardianName}",081200000001,${childName},Kelas 9Z\n`,
      ),
    });
    await expect.poll(() => page.locator(".roster-problems").textContent()).toContain("Baris 2");
    const schoolId = ((await gw.admin.expect(200, "GET", "/api/schools")) as { schools: { id: string }[] })
      .schools[0]!.id;
    const listed = async () =>
      ((await gw.admin.expect(200, "GET", `/api/schools/${schoolId}/guardians`)) as { guardians: unknown[] })
        .guardians;
    expect(await listed()).toEqual([]);
    await file.setInputFiles({
      name: "roster.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(
        `nama_wali,telepon,nama_anak,kelas\n"${guardianName}",081200000001,${childName},Kelas 1A\n`,
      ),
    });
    await page
      .locator('.roster-preview .preview-list[data-kind="added"] li', { hasText: guardianName })
      .waitFor();
    await page.getByRole("button", { name: "Terapkan daftar ini" }).click();
    await page.getByText("Daftar diterapkan.").waitFor();
    await page.getByRole("link", { name: "Lihat daftar wali" }).click();

    // Consent first: until it is recorded, no link can be issued.
    const card = guardianCard(page, guardianName);
    await card.waitFor();
    await card.getByText("Kelola persetujuan, tautan dan HP").click();
    expect(await card.getByRole("button", { name: /Buat tautan/ }).isDisabled()).toBe(true);
    await card.getByRole("button", { name: /Catat persetujuan/ }).click();
    await card.locator('select[name="method"]').selectOption("paper_form");
    await card.locator('textarea[name="note"]').fill("Formulir <b>PDP</b> ditandatangani");
    await card.getByRole("button", { name: "Simpan persetujuan" }).click();
    await card.locator(".consent-record").waitFor();

    // The classroom's QR sheet, printed to a real PDF: the child's and the guardian's names are on it.
    await page.getByRole("link", { name: "Lembar QR per kelas" }).click();
    await page.locator('select[name="classroom"]').selectOption({ label: "Kelas 1A" });
    await page.getByRole("button", { name: "Buat tautan baru dan lembar QR" }).click();
    await page.locator(".qr-card").first().waitFor();
    const pdf = join(tmp, "sheet.pdf");
    writeFileSync(pdf, await page.pdf({ format: "A4" }));
    const printed = execFileSync("pdftotext", [pdf, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    for (const text of [guardianName, childName, "Kelas 1A", schoolName]) expect(printed).toContain(text);

    // One link for the guardian, from their card.
    await page.goto(`${gw.url}/admin#/guardians`);
    const again = guardianCard(page, guardianName);
    await again.getByText("Kelola persetujuan, tautan dan HP").click();
    await again.getByRole("button", { name: /Buat tautan/ }).click();
    const linkUrl = await again.locator('input[name="link-url"]').inputValue();
    expect(linkUrl).toMatch(new RegExp(`^${gw.url}/a/`));

    // Names and what devices call themselves render as text everywhere the admin went.
    expect(await page.locator("main b, main i").count()).toBe(0);
    await page.context().close();

    // The parent: opens the link on a phone, taps the button, and watches the classroom.
    const phone = await browser.newContext({ viewport: phoneSize });
    const parent = await phone.newPage();
    await parent.goto(linkUrl);
    await parent.locator("form button[type=submit]").click();
    await parent.waitForURL(`${gw.url}/watch`);
    await parent.locator("#cameras button.camera", { hasText: "Kelas 1A depan" }).click();
    await expect
      .poll(
        () =>
          parent.evaluate(
            "(() => { const v = document.querySelector('video'); return v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()",
          ),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(10);
    await saveScreenshot(parent, "journey-parent-playing-phone");
    await phone.close();
  });
});

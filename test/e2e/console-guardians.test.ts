import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import {
  desktopSize,
  expectAccessible,
  openConsole,
  phoneSize,
  saveScreenshot,
  screenshotDir,
} from "../helpers/console.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { allWeek, openLink } from "../helpers/school-fixture.js";

// The console's guardian screens in headless Chromium against a real gateway, as a school admin uses them:
// the list and its search, a guardian added, consent recorded, a link issued and revoked, the roster imported
// (a bad file, a preview gone stale, then applied), and a classroom's QR sheet printed to a real PDF.

let gw: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let tmp: string;
let schoolId: string;
let room1: string;
let room2: string;
const ids: Record<string, string> = {};

const adminUser = "tu-sdn3";
const adminPassword = "tu-sdn3-password";
// The gateway refuses < > ; " in names (common/names.ts), so names carry what it lets through (& and ');
// markup goes where free text is allowed, the consent note, and must show as those characters, never bold.
const markupName = "Sari & Ma'ruf";
const markupChild = "Ayu D'Souza & Co";
const markupNote = 'Formulir di map <b>1A</b> & "arsip"';

interface GuardianJson {
  id: string;
  name: string;
  phone: string | null;
  children: { name: string; classroomId: string }[];
  revokedAt: string | null;
  links: { id: string; revokedAt: string | null }[];
  consent?: unknown;
}

async function guardians(): Promise<GuardianJson[]> {
  return (
    (await gw.admin.expect(200, "GET", `/api/schools/${schoolId}/guardians`)) as { guardians: GuardianJson[] }
  ).guardians;
}

async function addGuardian(key: string, name: string, phone: string, child: string, classroomId: string) {
  const g = (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/guardians`, {
    name,
    phone,
    children: [{ name: child, classroomId }],
  })) as { id: string };
  ids[key] = g.id;
}

async function consent(key: string) {
  await gw.admin.expect(201, "POST", `/api/guardians/${ids[key] ?? ""}/consent`, { method: "paper_form" });
}

/** Each test closes its page's context and waits: a close still running when the browser quits rejects later. */
async function openGuardians(size: { width: number; height: number } = desktopSize): Promise<Page> {
  const page = await openConsole(browser, gw.url, { size, username: adminUser, password: adminPassword });
  await page.goto(`${gw.url}/admin#/guardians`);
  await page.locator("article.guardian").first().waitFor();
  return page;
}

const card = (page: Page, name: string) =>
  page.locator("article.guardian").filter({ has: page.getByRole("heading", { name, exact: true }) });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "pantau-guardians-"));
  gw = await startTestGateway();
  browser = await launchChromium();
  schoolId = (
    (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 3 Pantau" })) as { id: string }
  ).id;
  room1 = (
    (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
      name: "Kelas 1A",
      schedule: allWeek,
    })) as { id: string }
  ).id;
  room2 = (
    (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
      name: "Kelas 2B",
      schedule: allWeek,
    })) as { id: string }
  ).id;
  await gw.admin.expect(201, "POST", "/api/users", {
    username: adminUser,
    displayName: "Bu Tata Usaha",
    password: adminPassword,
    role: "school_admin",
    schoolId,
  });
  await addGuardian("sari", markupName, "081200000001", markupChild, room1);
  await addGuardian("joko", "Pak Joko", "081200000002", "Dewi", room1);
  await addGuardian("rina", "Ibu Rina", "081200000003", "Tono", room1);
  await addGuardian("ahmad", "Pak Ahmad", "081200000004", "Rudi", room1);
  // Rina leaves the school with a live link: the roster import must revoke it.
  await consent("rina");
  ids.rinaLink = (
    (await gw.admin.expect(201, "POST", `/api/guardians/${ids.rina ?? ""}/links`, {})) as { id: string }
  ).id;
});

afterAll(async () => {
  await browser.cleanup();
  await gw.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("console guardians", () => {
  it("lists and searches by name, child and phone, the filters kept in the address; markup stays text", async () => {
    const page = await openGuardians();
    await expect.poll(() => page.locator("article.guardian").count()).toBe(4);
    const sari = card(page, markupName);
    expect(await sari.locator("h3").textContent()).toBe(markupName);
    expect(await sari.locator(".child-name").textContent()).toBe(markupChild);
    expect(await page.locator("main b, main i").count()).toBe(0);

    const search = page.getByRole("searchbox", { name: /Cari/ });
    await search.fill("dewi");
    await expect.poll(() => page.locator("article.guardian h3").allTextContents()).toEqual(["Pak Joko"]);
    expect(page.url()).toContain("q=dewi");
    await search.fill("0812 0000 0003");
    await expect.poll(() => page.locator("article.guardian h3").allTextContents()).toEqual(["Ibu Rina"]);
    await search.fill("");
    await page.locator('select[name="consent"]').selectOption("yes");
    await expect.poll(() => page.locator("article.guardian h3").allTextContents()).toEqual(["Ibu Rina"]);
    expect(page.url()).toContain("consent=yes");
    // The address alone reopens the same list.
    await page.reload();
    await expect.poll(() => page.locator("article.guardian h3").allTextContents()).toEqual(["Ibu Rina"]);
    await page.locator('select[name="consent"]').selectOption("");
    await page.locator('select[name="classroom"]').selectOption(room2);
    await expect.poll(() => page.locator("article.guardian").count()).toBe(0);
    await page.locator('select[name="classroom"]').selectOption("");
    await expect.poll(() => page.locator("article.guardian").count()).toBe(4);

    await expectAccessible(page, "guardians");
    await saveScreenshot(page, "console-guardians-desktop");
    await page.context().close();

    const phone = await openGuardians(phoneSize);
    await expectAccessible(phone, "guardians on a phone");
    await saveScreenshot(phone, "console-guardians-phone");
    await phone.context().close();
  });

  it("adds a guardian, refuses a link until consent is recorded, issues one to copy, scan and share, and revokes it", async () => {
    const page = await openGuardians();
    await page.getByRole("button", { name: "Tambah wali" }).click();
    const form = page.locator("form.guardian-form");
    // A name with markup is refused in plain words, and nothing is added.
    await form.locator('input[name="name"]').fill("<b>Maya</b>");
    await form.locator('input[name="child-0"]').fill("Lina");
    await form.getByRole("button", { name: "Simpan" }).click();
    await expect.poll(() => form.locator('[role="alert"]').textContent()).toContain("name");
    expect(await guardians()).toHaveLength(4);
    await form.locator('input[name="name"]').fill("Ibu Maya");
    await form.locator('input[name="phone"]').fill("0812-0000-0006");
    await form.locator('input[name="child-0"]').fill("Lina");
    await form.locator('select[name="classroom-0"]').selectOption(room2);
    await form.getByRole("button", { name: "Simpan" }).click();
    const maya = card(page, "Ibu Maya");
    await maya.waitFor();
    expect(await maya.locator(".children").textContent()).toContain("Lina — Kelas 2B");
    ids.maya = (await maya.getAttribute("data-guardian-id")) ?? "";
    await maya.getByText("Kelola persetujuan, tautan dan HP").click();

    // No consent: the link button is off and says why.
    const issue = maya.getByRole("button", { name: /Buat tautan/ });
    expect(await issue.isDisabled()).toBe(true);
    expect(await maya.locator(".g-part .hint").textContent()).toContain("Catat persetujuan wali dulu");

    await maya.getByRole("button", { name: /Catat persetujuan/ }).click();
    await maya.locator('select[name="method"]').selectOption("in_person");
    await maya.locator('textarea[name="note"]').fill(markupNote);
    await maya.getByRole("button", { name: "Simpan persetujuan" }).click();
    await expect.poll(() => maya.locator(".consent-record").textContent()).toContain("Langsung di sekolah");
    expect(await maya.locator(".consent-record").textContent()).toContain("oleh Bu Tata Usaha");
    expect(await maya.locator(".consent-note").textContent()).toBe(markupNote);
    expect(await page.locator("main b").count()).toBe(0);

    await issue.click();
    const url = maya.locator('input[name="link-url"]');
    await url.waitFor();
    const linkUrl = await url.inputValue();
    expect(linkUrl).toMatch(new RegExp(`^${gw.url}/a/`));
    await maya.getByRole("button", { name: /Salin Alamat tautan/ }).click();
    await expect.poll(() => maya.locator(".copy-status").first().textContent()).toMatch(/Tersalin|dipilih/);
    const qr = maya.locator("img.qr");
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml/);
    await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect(await maya.locator('textarea[name="share-text"]').inputValue()).toContain(linkUrl);
    const wa = await maya.getByRole("link", { name: "Kirim lewat WhatsApp" }).getAttribute("href");
    expect(wa).toMatch(/^https:\/\/wa\.me\/\?text=/);
    expect(decodeURIComponent(wa?.split("text=")[1] ?? "")).toContain(linkUrl);

    await maya.getByRole("button", { name: "Cabut tautan" }).click();
    await maya.getByRole("button", { name: "Ya, cabut" }).click();
    await expect
      .poll(() => maya.locator(".g-part .empty").first().textContent())
      .toContain("Tidak ada tautan aktif");
    const stored = (await guardians()).find((g) => g.id === ids.maya);
    expect(stored?.links).toHaveLength(1);
    expect(stored?.links[0]?.revokedAt).not.toBeNull();
    await page.context().close();
  });

  it("imports a roster: a bad file changes nothing, a stale preview is refused, the fixed one is applied", async () => {
    const page = await openGuardians();
    await page.getByRole("link", { name: "Impor daftar (CSV)" }).click();
    await page.locator('input[type="file"]').waitFor();
    const before = await guardians();

    const bad = [
      "nama_wali,telepon,email,nama_anak,kelas",
      "Pak Joko,081200000002,,Dewi,Kelas 1A",
      "Ibu Wulan,081200000005,,Sinta,Kelas 9Z",
      "Pak Budi,12ab,,Bayu,Kelas 2B",
      "<b>Wulan</b>,081200000007,,Sinta,Kelas 2B",
    ].join("\n");
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: "roster-bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
    const problems = page.locator(".roster-problems");
    await problems.waitFor();
    const text = (await problems.textContent()) ?? "";
    expect(text).toContain("Baris 3");
    expect(text).toContain("Baris 4");
    expect(text).toContain("Baris 5");
    expect(await problems.locator("b").count()).toBe(0);
    expect(text).toContain("Tidak ada yang diubah");
    expect(await guardians()).toEqual(before);

    const good = [
      "nama_wali;telepon;email;nama_anak;kelas",
      `"${markupName.replace(/"/g, '""')}";081200000001;;${markupChild};Kelas 1A`,
      "Pak Joko;081299999999;;Dewi;Kelas 1A",
      "Pak Ahmad;081200000004;;Rudi;Kelas 2B",
      "Ibu Wulan;081200000005;;Sinta;Kelas 2B",
      "Ibu Maya;081200000006;;Lina;Kelas 2B",
    ].join("\n");
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: "roster.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
    const preview = page.locator(".roster-preview");
    await preview.waitFor();
    const list = (kind: string) => preview.locator(`.preview-list[data-kind="${kind}"] li`).allTextContents();
    expect((await list("added")).join()).toContain("Ibu Wulan");
    expect((await list("changed")).join()).toContain("Pak Joko");
    expect((await list("changed")).join()).toContain("081299999999");
    expect((await list("moved")).join()).toMatch(/Rudi.*Kelas 1A → Kelas 2B/);
    const missing = (await list("missing")).join();
    expect(missing).toContain("Ibu Rina");
    expect(missing).toContain("1 tautan aktif");
    expect(await preview.locator("b, i").count()).toBe(0);
    await expectAccessible(page, "roster preview");
    await saveScreenshot(page, "console-roster-preview-desktop");

    // Someone adds a guardian after the preview: applying it is refused, nothing changes, preview again.
    await addGuardian("late", "Pak Telat", "081200000009", "Gita", room2);
    const beforeApply = await guardians();
    await page.getByRole("button", { name: "Terapkan daftar ini" }).click();
    await page.getByRole("button", { name: "Pratinjau lagi" }).waitFor();
    expect(await guardians()).toEqual(beforeApply);
    await page.getByRole("button", { name: "Pratinjau lagi" }).click();
    await expect.poll(() => list("missing").then((l) => l.join())).toContain("Pak Telat");

    await page.getByRole("button", { name: "Terapkan daftar ini" }).click();
    await page.getByText("Daftar diterapkan.").waitFor();
    const after = await guardians();
    const rina = after.find((g) => g.id === ids.rina);
    expect(rina?.revokedAt).not.toBeNull();
    expect(rina?.links.find((l) => l.id === ids.rinaLink)?.revokedAt).not.toBeNull();
    expect(after.find((g) => g.id === ids.ahmad)?.children).toEqual([{ name: "Rudi", classroomId: room2 }]);
    expect(after.find((g) => g.id === ids.joko)?.phone).toBe("081299999999");

    await page.getByRole("link", { name: "Lihat daftar wali" }).click();
    await card(page, "Ibu Wulan").waitFor();
    expect(await card(page, "Ibu Rina").getByText("Akses dicabut").count()).toBe(1);
    await page.context().close();
  });

  it("prints a classroom's QR sheet on A4 with every child's and guardian's name", async () => {
    await consent("sari");
    await consent("joko");
    // Ahmad has no consent: listed as skipped on screen, not printed.
    await gw.admin.expect(200, "PATCH", `/api/guardians/${ids.ahmad ?? ""}`, {
      children: [{ name: "Rudi", classroomId: room1 }],
    });
    const page = await openGuardians();
    await page.locator('select[name="classroom"]').selectOption(room1);
    await page.getByRole("link", { name: "Lembar QR per kelas" }).click();
    await page.getByRole("button", { name: "Buat tautan baru dan lembar QR" }).click();
    const cards = page.locator(".qr-card");
    await expect.poll(() => cards.count()).toBe(2);
    expect(await page.locator(".skipped").textContent()).toContain("Pak Ahmad");
    expect(await page.locator(".qr-sheet b, .qr-sheet i").count()).toBe(0);
    expect(await cards.locator(".qr-child").allTextContents()).toEqual(
      expect.arrayContaining([markupChild, "Dewi"]),
    );
    for (const img of await cards.locator("img").all()) {
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
    }
    expect(await page.getByRole("button", { name: "Cetak / Print" }).isEnabled()).toBe(true);
    await expectAccessible(page, "QR sheet");
    await saveScreenshot(page, "console-qr-sheet-desktop");

    const pdf = join(tmp, "sheet.pdf");
    writeFileSync(pdf, await page.pdf({ format: "A4" }));
    const words = execFileSync("pdftotext", [pdf, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    for (const name of [markupName, markupChild, "Pak Joko", "Dewi", "Kelas 1A", "SD Negeri 3 Pantau"]) {
      expect(words).toContain(name);
    }
    // On screen only: the skipped guardian, the console's menu and the buttons.
    expect(words).not.toContain("Pak Ahmad");
    expect(words).not.toContain("Cetak / Print");
    expect(words).not.toContain("Keluar");
    const info = execFileSync("pdfinfo", [pdf], { encoding: "utf8" });
    // A4 is 595.28 × 841.89 pt; Chromium rounds the page to whole CSS pixels (595.92 × 842.88).
    const size = /Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)/.exec(info);
    expect(Math.abs(Number(size?.[1]) - 595.28)).toBeLessThan(1);
    expect(Math.abs(Number(size?.[2]) - 841.89)).toBeLessThan(1.5);
    execFileSync("pdftoppm", [
      "-png",
      "-r",
      "50",
      "-f",
      "1",
      "-l",
      "1",
      "-singlefile",
      pdf,
      join(tmp, "page"),
    ]);
    renameSync(join(tmp, "page.png"), join(screenshotDir, "console-qr-sheet-print.png"));
    await page.context().close();
  });

  it("shows a guardian's phone and revokes it; withdrawing consent cuts their links", async () => {
    const link = (await gw.admin.expect(201, "POST", `/api/guardians/${ids.joko ?? ""}/links`, {})) as {
      url: string;
    };
    await openLink(gw, new URL(link.url).pathname);
    const page = await openGuardians();
    const joko = card(page, "Pak Joko");
    await expect.poll(() => joko.locator(".access-summary").textContent()).toContain("1 HP terdaftar");
    await joko.getByText("Kelola persetujuan, tautan dan HP").click();
    await joko.getByRole("button", { name: "Ubah Pak Joko" }).click();
    await joko.locator('input[name="email"]').fill("joko@example.id");
    await joko.getByRole("button", { name: "Simpan" }).click();
    await expect.poll(() => joko.locator(".contact").textContent()).toContain("joko@example.id");
    expect(await joko.locator(".device-row").textContent()).toContain("terakhir aktif");
    await joko.getByRole("button", { name: "Cabut HP" }).click();
    await joko.getByRole("button", { name: "Ya, cabut" }).click();
    await expect.poll(() => joko.locator(".access-summary").textContent()).toContain("0 HP terdaftar");
    const stored = (await guardians()).find((g) => g.id === ids.joko) as GuardianJson & {
      devices: { revokedAt: string | null; revokedReason: string | null }[];
    };
    expect(stored.devices.map((d) => d.revokedReason)).toEqual(["device"]);

    await joko.getByRole("button", { name: "Tarik persetujuan" }).click();
    await joko.getByRole("button", { name: "Ya, tarik" }).click();
    await expect.poll(() => joko.getByText("Belum ada persetujuan", { exact: true }).count()).toBe(1);
    expect(await joko.getByRole("button", { name: /Buat tautan/ }).isDisabled()).toBe(true);
    const after = (await guardians()).find((g) => g.id === ids.joko);
    expect(after?.consent).toBeNull();
    expect(after?.links.every((l) => l.revokedAt !== null)).toBe(true);
    await page.context().close();
  });
});

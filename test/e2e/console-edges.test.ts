import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair } from "../../gateway/src/fleet/nats-nkeys.js";
import { launchChromium } from "../helpers/browser.js";
import {
  chooseDevice,
  nameAndSave,
  next,
  openWizard,
  scanRange,
  submitLogin,
  wizardStep,
} from "../helpers/camera-wizard.js";
import { desktopSize, expectAccessible, openConsole, phoneSize, saveScreenshot } from "../helpers/console.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startNatsServer, type TestNatsServer } from "../helpers/nats-server.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
} from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The hub's console drives a school's edge (issue 13, "The console at the hub scans and registers a camera at
// the edge's school"): a real nats-server on loopback, a hub and an edge gateway in this process (as
// test/integration/fleet-link.test.ts), the ONVIF simulator in front of the GStreamer test camera on a loopback
// address of this file's own, reached only by the edge. In Chromium the operator makes the edge, reads its seed
// from the credentials dialog (the edge is started with it), sees it online, and adds the camera through the
// one add-camera wizard, whose calls go to /api/edges/:id/… at the hub.

const creds = { username: "admin", password: "Kamera-edge-55" };
const schoolName = "SD Negeri 3 Sukamaju";

let dir: string;
let nats: TestNatsServer;
let hub: TestGateway;
let edge: TestGateway | undefined;
let rtsp: TestCamera;
let onvif: OnvifCamera;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let host: string;
let schoolId: string;

const reloads = () => nats.log().split("Reloaded server configuration").length - 1;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pantau-console-edges-"));
  host = randomLoopbackHost();
  const hubKey = newNkeyPair();
  writeFileSync(join(dir, "hub.nk"), hubKey.seed, { mode: 0o600 });
  nats = await startNatsServer({ authorization: renderAuthorization({ hub: hubKey, edges: [] }) });
  hub = await startTestGateway({
    role: "hub",
    fleet: {
      servers: [nats.url],
      seedFile: join(dir, "hub.nk"),
      authorizationFile: nats.authorizationFile.path,
      natsPidFile: nats.pidFile,
      offlineAfterSeconds: 3,
    },
  });
  schoolId = ((await hub.admin.expect(201, "POST", "/api/schools", { name: schoolName })) as { id: string })
    .id;
  await hub.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, { name: "Kelas 1A" });
  [rtsp, browser] = await Promise.all([
    startTestCamera({ host, ...testCameraStreams, ...creds }),
    launchChromium(),
  ]);
  onvif = await startOnvifCamera({
    host,
    uuid: `urn:uuid:${randomUUID()}`,
    ...creds,
    ...profilesOf(rtsp),
    name: "Kelas 1A depan",
    hardware: "DS-2CD2143G0-I",
    manufacturer: "HIKVISION",
    model: "DS-2CD2143G0-I",
  });
}, 60_000);

afterAll(async () => {
  // Whatever beforeAll got to (a failed start leaves the rest undefined at run time).
  const started = [browser, edge, hub, onvif, rtsp, nats] as (
    { cleanup?: () => Promise<void>; close?: () => Promise<void>; stop?: () => Promise<void> } | undefined
  )[];
  for (const p of started) await (p?.cleanup ?? p?.close ?? p?.stop)?.call(p);
  rmSync(dir, { recursive: true, force: true });
});

/** Checks the page at phone size, then takes a desktop screenshot and returns to phone size. */
async function atDesktop(page: Page, name: string): Promise<void> {
  await page.setViewportSize(desktopSize);
  await saveScreenshot(page, name);
  await page.setViewportSize(phoneSize);
}

describe("school edges in the hub's console", () => {
  let page: Page;
  let edgeId: string;

  it("an operator makes an edge, gets its credentials once, and sees it online with its version", async () => {
    page = await openConsole(browser, hub.url, { size: phoneSize });
    const menuLink = page.locator('nav.menu a[href="#/edges"]');
    expect(await menuLink.textContent()).toBe("Edge sekolah");
    await menuLink.click();
    await page.locator(".page .empty").waitFor();

    const before = reloads();
    await page.locator('.edge-form input[name="name"]').fill("SDN 3 edge");
    await page.locator('.edge-form select[name="schoolId"]').selectOption({ label: schoolName });
    await page.locator(".edge-form button[type=submit]").click();
    const dialog = page.locator("dialog.credentials[open]");
    await dialog.waitFor();
    edgeId = await dialog.locator('input[name="edge-id"]').inputValue();
    const seed = await dialog.locator('textarea[name="edge-seed"]').inputValue();
    expect(edgeId).toMatch(/^edg_[A-Za-z0-9_-]+$/);
    expect(seed).toMatch(/^SU[A-Z2-7]+$/);
    expect(await dialog.textContent()).toContain("hanya ditampilkan sekarang");
    const settings = await dialog.locator('textarea[name="edge-config"]').inputValue();
    expect(settings).toContain("role: edge");
    expect(settings).toContain(`edgeId: ${edgeId}`);
    expect(settings).toContain("seedFile: /etc/pantau/edge.nk");
    expect(settings).toContain("- tls://127.0.0.1:4222");
    expect(await dialog.locator('textarea[name="seed-commands"]').inputValue()).toContain("install -m 0600");
    await expectAccessible(page, "edge credentials dialog");
    await saveScreenshot(page, "console-edge-credentials-phone");
    await atDesktop(page, "console-edge-credentials-desktop");
    // The seed is not kept by the hub: nowhere in its API.
    const listed = JSON.stringify(await hub.admin.expect(200, "GET", "/api/edges"));
    expect(listed).toContain(edgeId);
    expect(listed).not.toContain(seed);

    await dialog.getByRole("button", { name: "Sudah saya simpan, tutup" }).click();
    await page.locator("dialog.credentials[open]").waitFor({ state: "detached" });
    const row = page.locator(`tr[data-edge="${edgeId}"]`);
    expect(await row.locator(".edge-state").textContent()).toBe("Belum pernah terhubung");

    // The installer's part: the seed in its 0600 file, the lines from the dialog (the NATS URL is the test's).
    writeFileSync(join(dir, "edge.nk"), seed, { mode: 0o600 });
    await waitFor("the NATS server to take the edge's key", () => reloads() > before);
    edge = await startTestGateway({
      role: "edge",
      fleet: { servers: [nats.url], edgeId, seedFile: join(dir, "edge.nk"), statusSeconds: 0.5 },
      onvif: { scanSeconds: 2, soapTimeoutSeconds: 2 },
    });

    // The list follows the heartbeats by itself (no reload of the page).
    await expect.poll(() => row.locator(".edge-state").textContent(), { timeout: 20_000 }).toBe("Terhubung");
    await expect.poll(() => row.locator(".edge-version").textContent()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await row.locator(".edge-school").textContent()).toBe(schoolName);
    expect(await row.locator(".edge-contact").textContent()).toMatch(/detik|sekarang/);
    expect(await row.locator(".edge-link").textContent()).toMatch(/Waktu bolak-balik (\d+|—) ms/);
    expect(await row.locator(".edge-link").textContent()).toContain("Fragmen dibuang: 0");
    await expectAccessible(page, "edges");
    await saveScreenshot(page, "console-edges-phone");
    await atDesktop(page, "console-edges-desktop");
  }, 90_000);

  it("refuses a second edge for the same school, in the API's words on the school field", async () => {
    await page.locator('.edge-form input[name="name"]').fill("SDN 3 edge kedua");
    await page.locator('.edge-form select[name="schoolId"]').selectOption({ label: schoolName });
    await page.locator(".edge-form button[type=submit]").click();
    await expect
      .poll(() => page.locator(".edge-form .field-error").textContent())
      .toBe("Sekolah ini sudah punya edge. Hapus edge itu dulu bila ingin membuat yang baru.");
    expect(await page.locator("dialog.credentials").count()).toBe(0);
    expect(((await hub.admin.expect(200, "GET", "/api/edges")) as { edges: unknown[] }).edges).toHaveLength(
      1,
    );
    await expectAccessible(page, "edges: refused");
  });

  it("adds a camera at the edge's school with the wizard: scan, inspect and test run at the edge", async () => {
    await page.locator(".school-picker select").selectOption({ label: schoolName });
    await openWizard(page, hub.url);
    expect(await page.locator(".notice.edge-target").textContent()).toContain("SDN 3 edge");
    // Only the edge reaches the simulator's address: the hub's scan of it would be its own network.
    await scanRange(page, `${host}/29`);
    await page.locator(".scan-results .device", { hasText: host }).waitFor();
    await chooseDevice(page, host);
    await submitLogin(page, creds.username, "salah-sandi");
    await expect
      .poll(() => page.locator('.wizard-step [role="alert"]').textContent())
      .toContain("Kamera menolak nama pengguna atau kata sandi");
    await submitLogin(page, creds.username, creds.password);
    await wizardStep(page, "inspect").waitFor();
    expect(await page.locator(".facts .maker").textContent()).toBe("HIKVISION");
    await next(page);
    await wizardStep(page, "streams").waitFor();
    await next(page);

    await wizardStep(page, "test").waitFor();
    await page.locator(".stream-tests td.fps").first().waitFor({ timeout: 30_000 });
    expect(await page.locator("table.stream-tests tbody tr").nth(1).locator(".size").textContent()).toBe(
      "320×180",
    );
    // No preview before saving: nothing is registered yet, at the edge or here.
    expect(await page.locator(".no-preview").textContent()).toContain("setelah kamera disimpan");
    expect(await page.locator(".live-preview").count()).toBe(0);
    const hubCameras = async () =>
      (
        (await hub.admin.expect(200, "GET", "/api/cameras")) as {
          cameras: {
            id: string;
            name: string;
            source: Record<string, unknown>;
            classroomId: string | null;
          }[];
        }
      ).cameras;
    expect(await hubCameras()).toHaveLength(0);
    await expectAccessible(page, "wizard at an edge: test");
    await next(page);

    await nameAndSave(page, "Kelas 1A depan", "Kelas 1A");
    await wizardStep(page, "done").waitFor();
    await page.locator('.wizard-done a[href="#/cameras"]').click();
    const card = page.locator(".camera-card", { hasText: "Kelas 1A depan" });
    await card.waitFor();
    expect(await card.locator(".camera-room").textContent()).toBe("Kelas 1A");
    expect(await card.locator(".camera-source").textContent()).toBe("Lewat gateway edge sekolah");

    const [saved] = await hubCameras();
    expect(saved?.source).toEqual({ kind: "edge", edgeId, sub: true });
    expect(saved?.classroomId).not.toBeNull();
    const atEdge = (await edge?.admin.expect(200, "GET", `/api/cameras/${saved?.id ?? ""}`)) as {
      name: string;
      source: Record<string, unknown>;
    };
    expect(atEdge.name).toBe("Kelas 1A depan");
    expect(atEdge.source).toMatchObject({ kind: "onvif", host, hasPassword: true });
    expect(JSON.stringify(saved)).not.toContain(creds.password);
  }, 90_000);

  it("adopts a camera registered at the edge itself into a classroom, from the edges screen", async () => {
    const [local] = ((await edge?.admin.expect(200, "GET", "/api/schools")) as { schools: { id: string }[] })
      .schools;
    const made = (await edge?.admin.expect(201, "POST", "/api/cameras", {
      schoolId: local?.id,
      name: "Kelas 1A belakang",
      source: { kind: "rtsp", url: rtsp.url("main"), ...creds },
    })) as { id: string };
    // The panel reads the edge's cameras when opened: open it once the heartbeat lists the new one.
    await waitFor("the edge's heartbeat to list its own camera", async () => {
      const r = (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}/cameras`)) as {
        cameras: { id: string }[];
      };
      return r.cameras.some((c) => c.id === made.id);
    });
    await page.goto(`${hub.url}/admin#/edges`);
    const row = page.locator(`tr[data-edge="${edgeId}"]`);
    await row.getByRole("button", { name: "Kamera di edge SDN 3 edge" }).click();
    const item = page.locator(`.edge-cameras li[data-edge-camera="${made.id}"]`);
    await item.waitFor();
    // The one the wizard registered is at the hub already: not offered.
    expect(await page.locator(".edge-cameras li").count()).toBe(1);
    await item.locator('select[name="classroomId"]').selectOption({ label: "Kelas 1A" });
    await item.getByRole("button", { name: "Daftarkan di hub Kelas 1A belakang" }).click();
    expect(await item.locator(".confirm-question").textContent()).toContain("di Kelas 1A");
    await expectAccessible(page, "edge cameras: adopt");
    await saveScreenshot(page, "console-edge-adopt-phone");
    await item.getByRole("button", { name: "Ya, daftarkan" }).click();
    await page.locator(".edge-cameras .notice.ok").waitFor();
    await item.waitFor({ state: "detached" });
    await page.locator('.edge-cameras a[href="#/cameras"]').click();
    const card = page.locator(".camera-card", { hasText: "Kelas 1A belakang" });
    await card.waitFor();
    expect(await card.locator(".camera-room").textContent()).toBe("Kelas 1A");
    expect(await card.locator(".camera-source").textContent()).toBe("Lewat gateway edge sekolah");
    const atHub = (await hub.admin.expect(200, "GET", `/api/cameras/${made.id}`)) as { source: unknown };
    expect(atHub.source).toEqual({ kind: "edge", edgeId, sub: false });
    expect(JSON.stringify(atHub)).not.toContain(creds.password);
  }, 90_000);

  it("removes the edge after the operator confirms, saying it is cut off at once", async () => {
    const before = reloads();
    await page.goto(`${hub.url}/admin#/edges`);
    const row = page.locator(`tr[data-edge="${edgeId}"]`);
    await row.waitFor();
    await row.getByRole("button", { name: "Hapus SDN 3 edge" }).click();
    expect(await row.locator(".confirm-question").textContent()).toContain("edge terputus seketika");
    await row.getByRole("button", { name: "Ya, hapus" }).click();
    await row.waitFor({ state: "detached" });
    expect(((await hub.admin.expect(200, "GET", "/api/edges")) as { edges: unknown[] }).edges).toEqual([]);
    await waitFor("the NATS server to drop the edge's key", () => reloads() > before);
    await page.context().close();
  });
});

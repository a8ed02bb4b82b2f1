import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, openLink, postLink, recordConsent, watchAs } from "../helpers/school-fixture.js";

// Issue 9, items 2 and 3: opening an access link registered the phone on a plain GET, so a messaging app's
// link preview (WhatsApp, Telegram) took one of the guardian's two device slots per preview; and a phone
// the school removed (DELETE /api/devices/:id) was registered again by reopening its link.

let gw: TestGateway;

beforeAll(async () => {
  // No open dev streams: every viewer here is a guardian's phone or no one.
  gw = await startTestGateway({ dev: { openStreams: false } });
});

afterAll(async () => {
  await gw.close();
});

const previewBots = [
  "WhatsApp/2.23.20.0 A",
  "WhatsApp/2.2407.3 i",
  "TelegramBot (like TwitterBot)",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
];

interface Listed {
  id: string;
  devices: { id: string; revokedAt: string | null; revokedReason: string | null }[];
}

async function guardianOf(schoolId: string, guardianId: string): Promise<Listed> {
  const list = (await gw.admin.expect(200, "GET", `/api/schools/${schoolId}/guardians`)) as {
    guardians: Listed[];
  };
  const g = list.guardians.find((x) => x.id === guardianId);
  if (!g) throw new Error(`guardian ${guardianId} not listed`);
  return g;
}

/** The phone's device id: the one device of the guardian that is new since `before`. */
async function newDevice(schoolId: string, guardianId: string, before: Listed): Promise<string> {
  const after = await guardianOf(schoolId, guardianId);
  const added = after.devices.filter((d) => !before.devices.some((b) => b.id === d.id));
  expect(added).toHaveLength(1);
  return added[0]?.id ?? "";
}

describe("link previews", () => {
  it("a preview bot's GET (and HEAD) registers nothing, writes nothing, and leaves both slots to the parent", async () => {
    const f = await makeSchool(gw, "SD Pratinjau");
    const before = dbSnapshot(gw.dataDir);
    for (const ua of previewBots) {
      for (let i = 0; i < 3; i++) {
        const r = await new ApiClient(gw.url).request("GET", f.linkPath, undefined, { "user-agent": ua });
        expect(r.status, ua).toBe(200);
        expect(r.headers.get("set-cookie")).toBeNull();
        expect(r.headers.get("cache-control")).toBe("no-store");
        expect(r.text).toContain("SD Pratinjau");
        expect(r.text).toContain("Halo, Ibu Sari.");
        expect(r.text).toContain("Tonton di HP ini / Watch on this phone");
        expect(r.text).toContain(`<form method="post" action="${f.linkPath}">`);
        // The privacy notice, in both languages.
        expect(r.text).toMatch(/tanpa rekaman, tanpa suara/);
        expect(r.text).toMatch(/no recording, no audio/);
        expect(r.text).toMatch(/Every viewing is recorded/);
        expect(r.text).not.toMatch(/<script/i);
        expect(r.headers.get("content-security-policy")).toContain("script-src 'self'");
      }
      const head = await new ApiClient(gw.url).request("HEAD", f.linkPath, undefined, { "user-agent": ua });
      expect(head.status).toBe(200);
    }
    // Nothing at all changed: no device, no audit row, no last-seen time.
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    // Both slots are still the parent's.
    const first = await openLink(gw, f.linkPath);
    const second = await openLink(gw, f.linkPath);
    expect((await first.get("/api/viewer/me")).status).toBe(200);
    expect((await second.get("/api/viewer/me")).status).toBe(200);
  });

  it("a phone already registered for the guardian is sent to /watch by the GET, and nothing is written", async () => {
    const f = await makeSchool(gw, "SD Kembali");
    const phone = await openLink(gw, f.linkPath);
    const cookie = phone.cookies.get("pantau_device");
    const before = dbSnapshot(gw.dataDir);
    const again = await phone.get(f.linkPath);
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/watch");
    expect(phone.cookies.get("pantau_device")).toBe(cookie);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("a phone registered for another guardian is told whose it is, and moves over only on confirmation", async () => {
    const f = await makeSchool(gw, "SD Dua Wali");
    const andi = (await gw.admin.expect(201, "POST", `/api/schools/${f.schoolId}/guardians`, {
      name: "Bapak Andi D'Souza",
      children: [{ name: "Citra", classroomId: f.otherClassroomId }],
    })) as { id: string };
    await recordConsent(gw.admin, andi.id);
    const andiLink = new URL(
      ((await gw.admin.expect(201, "POST", `/api/guardians/${andi.id}/links`, {})) as { url: string }).url,
    ).pathname;
    const sariBefore = await guardianOf(f.schoolId, f.guardianId);
    const phone = await openLink(gw, f.linkPath);
    const sariPhone = await newDevice(f.schoolId, f.guardianId, sariBefore);
    const sariCookie = phone.cookies.get("pantau_device");

    const before = dbSnapshot(gw.dataDir);
    const page = await phone.get(andiLink);
    expect(page.status).toBe(200);
    expect(page.text).toContain("HP ini sudah terdaftar untuk Ibu Sari.");
    expect(page.text).toContain("This phone is registered for Ibu Sari.");
    expect(page.text).toContain("Bapak Andi");
    expect(page.text).not.toContain("Souza"); // the first name only, and escaped where shown
    expect(page.text).toContain('<input type="hidden" name="replace" value="1">');
    // The button without the confirmation (an old page, a hand-made post) moves nothing.
    const unconfirmed = await postLink(phone, andiLink);
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.text).toContain("HP ini sudah terdaftar untuk Ibu Sari.");
    for (const form of ["replace=0", "replace=yes", "replace=", "other=1"]) {
      expect((await postLink(phone, andiLink, form)).status, form).toBe(409);
    }
    expect(phone.cookies.get("pantau_device")).toBe(sariCookie);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect(((await phone.get("/api/viewer/me")).body as { guardian: { id: string } }).guardian.id).toBe(
      f.guardianId,
    );

    const confirmed = await postLink(phone, andiLink, "replace=1");
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("/watch");
    expect(phone.cookies.get("pantau_device")).not.toBe(sariCookie);
    expect(((await phone.get("/api/viewer/me")).body as { guardian: { id: string } }).guardian.id).toBe(
      andi.id,
    );
    // Ibu Sari's device on this phone is revoked (her slot is free again), and both moves are audited.
    const sari = await guardianOf(f.schoolId, f.guardianId);
    expect(sari.devices.find((d) => d.id === sariPhone)).toMatchObject({ revokedReason: "replaced" });
    const audit = (await gw.admin.expect(200, "GET", `/api/audit?schoolId=${f.schoolId}`)) as {
      events: { action: string; target: { id: string | null }; detail: Record<string, unknown> }[];
    };
    expect(
      audit.events.find((e) => e.action === "device.revoke" && e.target.id === sariPhone)?.detail,
    ).toEqual({ guardian: f.guardianId, reason: "replaced" });
    expect(
      audit.events.find((e) => e.action === "device.register" && e.detail.replaced === sariPhone),
    ).toBeDefined();
  });
});

describe("the link's button", () => {
  it("refuses a post from another site (or from no origin a browser would name) and registers nothing", async () => {
    const f = await makeSchool(gw, "SD Silang");
    const before = dbSnapshot(gw.dataDir);
    for (const origin of ["http://evil.example", "null", `${gw.url}.evil.example`, "http://127.0.0.1:1"]) {
      const phone = new ApiClient(gw.url);
      const r = await postLink(phone, f.linkPath, "", origin);
      expect(r.status, origin).toBe(403);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      expect(r.text).toContain("cross_origin");
      expect(r.text).toContain("Open the school's link directly on your phone.");
      expect(phone.cookies.size).toBe(0);
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("answers garbage tokens, unknown links and bodies that are not the form with a page, and writes nothing", async () => {
    const f = await makeSchool(gw, "SD Sampah");
    const before = dbSnapshot(gw.dataDir);
    for (const path of [
      `/a/${"A".repeat(43)}`,
      "/a/short",
      "/a/..%2f..%2fetc%2fpasswd",
      "/a/'%20OR%20'1'='1",
      "/a/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
      "/a/%00",
      `/a/${"x".repeat(5000)}`,
    ]) {
      const r = await postLink(new ApiClient(gw.url), path);
      expect(r.status, path).toBe(404);
      expect(r.text).toContain("Tautan ini tidak dikenal.");
      expect(r.text).toContain("This link is not known.");
      expect(r.text).not.toContain("<script>alert");
      expect(r.text).not.toContain("'1'='1");
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    // A real link, but not the page's form: JSON, text, a body over the limit.
    const phone = new ApiClient(gw.url);
    const json = await phone.post(f.linkPath, { replace: "1" }, { origin: gw.url });
    expect(json.status).toBe(415);
    expect(json.text).toContain("not_a_form");
    const text = await phone.post(f.linkPath, "replace=1", { "content-type": "text/plain", origin: gw.url });
    expect(text.status).toBe(415);
    const big = await postLink(phone, f.linkPath, `replace=1&x=${"y".repeat(5000)}`);
    expect(big.status).toBe(413);
    expect(phone.cookies.size).toBe(0);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });
});

describe("a phone the school removed", () => {
  it("is told in ID and EN that the school removed it, registers nothing, and the guardian's other phone still watches", async () => {
    const f = await makeSchool(gw, "SD Hapus");
    const empty = await guardianOf(f.schoolId, f.guardianId);
    const removed = await openLink(gw, f.linkPath);
    const removedId = await newDevice(f.schoolId, f.guardianId, empty);
    const other = await openLink(gw, f.linkPath);
    await gw.admin.expect(200, "DELETE", `/api/devices/${removedId}`);

    const before = dbSnapshot(gw.dataDir);
    for (const r of [await removed.get(f.linkPath), await postLink(removed, f.linkPath)]) {
      expect(r.status).toBe(403);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      expect(r.text).toContain("Sekolah sudah menghapus HP ini dari akses kamera.");
      expect(r.text).toContain("The school has removed this phone from camera access.");
      expect(r.text).toContain("device_removed");
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    // Reopening the link from a chat app or tapping an old page's button, again and again: still nothing.
    for (let i = 0; i < 3; i++) expect((await postLink(removed, f.linkPath, "replace=1")).status).toBe(403);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect((await removed.get("/api/viewer/me")).body).toMatchObject({ error: { code: "revoked" } });
    expect((await removed.post(`/api/watch/${f.cameraId}`)).status).toBe(403);
    // A second link from the school does not bring it back either: the phone was removed, not the link.
    const second = new URL(
      ((await gw.admin.expect(201, "POST", `/api/guardians/${f.guardianId}/links`, {})) as { url: string })
        .url,
    ).pathname;
    expect((await removed.get(second)).status).toBe(403);
    expect((await postLink(removed, second)).status).toBe(403);

    // The other phone is untouched and plays.
    const w = await watchAs(gw, other, f.cameraId);
    const playlist = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toContain("#EXT-X-PART:");
    // What cannot be told apart: a phone that cleared its cookies is a new phone, within the free slot.
    await openLink(gw, f.linkPath);
    expect((await new ApiClient(gw.url).get(f.linkPath)).status).toBe(403); // both slots taken now
  });

  it("cut by a revoked link (not removed on its own), registers again through the school's new link", async () => {
    // Not a regression (the old code let it through too): keeps the fix above from stranding a parent whose
    // leaked link the school replaced.
    const f = await makeSchool(gw, "SD Tautan Baru");
    const phone = await openLink(gw, f.linkPath);
    await gw.admin.expect(200, "DELETE", `/api/links/${f.linkId}`);
    expect((await phone.get(f.linkPath)).status).toBe(410);
    const fresh = new URL(
      ((await gw.admin.expect(201, "POST", `/api/guardians/${f.guardianId}/links`, {})) as { url: string })
        .url,
    ).pathname;
    await openLink(gw, fresh, phone);
    expect((await phone.get("/api/viewer/me")).status).toBe(200);
  });
});

describe("the school's contact", () => {
  it("is an optional school field, shown escaped on the link page; markup in it is refused", async () => {
    const f = await makeSchool(gw, "SD Harapan & Co's");
    const noContact = await new ApiClient(gw.url).get(f.linkPath);
    expect(noContact.text).not.toContain("Kontak sekolah");
    expect(noContact.text).toContain("SD Harapan &#38; Co&#39;s");
    const refused = await gw.admin.patch(`/api/schools/${f.schoolId}`, { contact: "<b>0812</b>" });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { field: "contact" } });
    const school = (await gw.admin.expect(200, "PATCH", `/api/schools/${f.schoolId}`, {
      contact: `WA 0812-1111-2222 "Bu Rina" & 'TU'`,
    })) as { contact: string };
    expect(school.contact).toBe(`WA 0812-1111-2222 "Bu Rina" & 'TU'`);
    const page = await new ApiClient(gw.url).get(f.linkPath);
    expect(page.text).toContain(
      'Kontak sekolah <span lang="en">/ School contact</span>: WA 0812-1111-2222 &#34;Bu Rina&#34; &#38; &#39;TU&#39;',
    );
  });
});

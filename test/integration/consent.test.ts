import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import {
  makeSchool,
  openLink,
  recordConsent,
  watchAs,
  type SchoolFixture,
} from "../helpers/school-fixture.js";

// Issue 12: UU PDP 27/2022 asks for provable parental consent to process a child's data. The school records
// when and how each guardian consented; a link is issued only once it has (guardians.requireConsent, on by
// default); withdrawing consent cuts the guardian's phones; a classroom's QR sheet skips whoever may not
// have a link.

let gw: TestGateway;
let f: SchoolFixture;

beforeAll(async () => {
  gw = await startTestGateway({ dev: { openStreams: false }, streaming: { idleStopSeconds: 300 } });
  f = await makeSchool(gw, "SD Persetujuan");
}, 30_000);

afterAll(async () => {
  await gw.close();
});

interface View {
  id: string;
  name: string;
  consent: {
    id: string;
    recordedAt: string;
    method: string;
    note: string;
    recordedBy: { id: string; name: string } | null;
  } | null;
  lastViewedAt: string | null;
  devices: { id: string; revokedAt: string | null; lastSeenAt: string }[];
  links: { id: string; revokedAt: string | null }[];
}
const view = async (guardianId: string): Promise<View> => {
  const { guardians } = (await gw.admin.expect(200, "GET", `/api/schools/${f.schoolId}/guardians`)) as {
    guardians: View[];
  };
  const g = guardians.find((x) => x.id === guardianId);
  if (!g) throw new Error(`guardian ${guardianId} not listed`);
  return g;
};
const newGuardian = async (name: string, child: string, classroomId = f.classroomId) =>
  (
    (await gw.admin.expect(201, "POST", `/api/schools/${f.schoolId}/guardians`, {
      name,
      children: [{ name: child, classroomId }],
    })) as { id: string }
  ).id;

describe("consent before a link", () => {
  it("refuses a link without consent (409 consent_required, in both languages), issues it once recorded", async () => {
    const g = await newGuardian("Ibu Wati", "Tono");
    expect((await view(g)).consent).toBeNull();
    const before = dbSnapshot(gw.dataDir);
    const refused = await gw.admin.post(`/api/guardians/${g}/links`, {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: {
        code: "consent_required",
        messages: {
          id: expect.stringContaining("Catat persetujuan wali dulu") as unknown,
          en: expect.stringContaining("Record the guardian's consent first") as unknown,
        },
      },
    });
    expect(dbSnapshot(gw.dataDir)).toBe(before);

    const recordedAt = "2026-07-13T02:00:00.000Z";
    const consent = (await gw.admin.expect(201, "POST", `/api/guardians/${g}/consent`, {
      method: "paper_form",
      note: "Formulir no. 14, map TU",
      recordedAt: "2026-07-13T09:00:00+07:00",
    })) as Record<string, unknown>;
    const me = (await gw.admin.expect(200, "GET", "/api/auth/me")) as {
      user: { id: string; displayName: string };
    };
    expect(consent).toMatchObject({
      guardianId: g,
      recordedAt,
      method: "paper_form",
      note: "Formulir no. 14, map TU",
      recordedBy: { id: me.user.id, name: me.user.displayName },
      withdrawnAt: null,
    });
    expect((await view(g)).consent).toMatchObject({
      recordedAt,
      method: "paper_form",
      recordedBy: { id: me.user.id },
    });
    const link = (await gw.admin.expect(201, "POST", `/api/guardians/${g}/links`, {})) as { url: string };
    // The guardian list shows when they last watched, and each phone's last sighting.
    expect((await view(g)).lastViewedAt).toBeNull();
    const phone = await openLink(gw, new URL(link.url).pathname);
    const w = await watchAs(gw, phone, f.cameraId);
    const res = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(res.status).toBe(200);
    await res.text();
    const seen = await view(g);
    expect(seen.lastViewedAt).not.toBeNull();
    expect(seen.devices[0]?.lastSeenAt).toEqual(expect.any(String));

    const audit = (await gw.admin.expect(200, "GET", `/api/audit?schoolId=${f.schoolId}&action=consent`)) as {
      events: { action: string; target: { id: string }; detail: Record<string, unknown> }[];
    };
    expect(audit.events.find((e) => e.target.id === g)).toMatchObject({
      action: "consent.record",
      detail: { method: "paper_form", recordedAt },
    });
  });

  it("refuses bad consent bodies with the field named, stores markup in a note as text", async () => {
    const g = await newGuardian("Bapak Joko", "Sri");
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const cases: [unknown, string][] = [
      [{ method: "paper_form", recordedAt: tomorrow }, "recordedAt"],
      [{ method: "paper_form", recordedAt: "13/07/2026" }, "recordedAt"],
      [{ method: "telepathy" }, "method"],
      [{}, "method"],
      [{ method: "other", note: "x".repeat(501) }, "note"],
      [{ method: "other", note: "bell\u0007" }, "note"],
      [{ method: "other", extra: 1 }, ""],
    ];
    const before = dbSnapshot(gw.dataDir);
    for (const [body, field] of cases) {
      const r = await gw.admin.post(`/api/guardians/${g}/consent`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const e = (r.body as { error: { code: string; field?: string } }).error;
      expect(e.code).toBe("invalid_input");
      if (field !== "") expect(e.field, JSON.stringify(body)).toBe(field);
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);

    const note = '<img src=x onerror=alert(1)> "TU" & <b>map</b>';
    const c = (await gw.admin.expect(201, "POST", `/api/guardians/${g}/consent`, {
      method: "whatsapp",
      note,
    })) as { note: string };
    expect(c.note).toBe(note);
    expect((await view(g)).consent?.note).toBe(note);
    // Exactly 500 characters is fine.
    await gw.admin.expect(201, "POST", `/api/guardians/${g}/consent`, {
      method: "email",
      note: "y".repeat(500),
    });
  });

  it("withdrawing consent revokes the links and phones (a live viewer is cut), and a new link needs consent again", async () => {
    const g = await newGuardian("Ibu Tarik", "Rudi");
    await recordConsent(gw.admin, g);
    const link = (await gw.admin.expect(201, "POST", `/api/guardians/${g}/links`, {})) as { url: string };
    const path = new URL(link.url).pathname;
    const phone = await openLink(gw, path);
    const w = await watchAs(gw, phone, f.cameraId);
    const ws = new WebSocket(w.ws);
    let bytes = 0;
    ws.on("message", (d: Buffer, binary) => {
      if (binary) bytes += d.length;
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
      });
    });
    await waitFor("video over the WebSocket", () => bytes > 20_000, 15_000);

    const r = (await gw.admin.expect(200, "DELETE", `/api/guardians/${g}/consent`)) as {
      consent: { withdrawnAt: string | null };
      linksRevoked: number;
      devicesRevoked: number;
    };
    const withdrawnAt = Date.now();
    expect(r).toMatchObject({ linksRevoked: 1, devicesRevoked: 1 });
    expect(r.consent.withdrawnAt).not.toBeNull();
    expect(await closed).toEqual({ code: 4403, reason: "revoked" });
    expect(Date.now() - withdrawnAt).toBeLessThan(2000);
    expect((await phone.post(`/api/watch/${f.cameraId}`)).status).toBe(403);
    expect((await new ApiClient(gw.url).get(path)).status).toBe(410);
    const v = await view(g);
    expect(v.consent).toBeNull();
    expect(v.links.every((l) => l.revokedAt !== null)).toBe(true);
    expect((await gw.admin.post(`/api/guardians/${g}/links`, {})).status).toBe(409);
    // Withdrawn once is withdrawn: nothing left to withdraw.
    expect((await gw.admin.request("DELETE", `/api/guardians/${g}/consent`)).status).toBe(404);
    // Consent recorded again: a new link works on the same phone.
    await recordConsent(gw.admin, g);
    const again = (await gw.admin.expect(201, "POST", `/api/guardians/${g}/links`, {})) as { url: string };
    await openLink(gw, new URL(again.url).pathname, phone);
    expect((await phone.get("/api/viewer/me")).status).toBe(200);
  });
});

describe("with guardians.requireConsent off", () => {
  it("the guardian list says so, and a link is issued without consent", async () => {
    const open = await startTestGateway({ guardians: { requireConsent: false } });
    try {
      const o = await makeSchool(open, "SD Tanpa Syarat");
      const g = (
        (await open.admin.expect(201, "POST", `/api/schools/${o.schoolId}/guardians`, {
          name: "Pak Umar",
          children: [{ name: "Lia", classroomId: o.classroomId }],
        })) as { id: string }
      ).id;
      const list = (await open.admin.expect(200, "GET", `/api/schools/${o.schoolId}/guardians`)) as {
        requireConsent: boolean;
      };
      expect(list.requireConsent).toBe(false);
      await open.admin.expect(201, "POST", `/api/guardians/${g}/links`, {});
    } finally {
      await open.close();
    }
  });

  it("is on by default, and the guardian list says so for the console", async () => {
    const list = (await gw.admin.expect(200, "GET", `/api/schools/${f.schoolId}/guardians`)) as {
      requireConsent: boolean;
    };
    expect(list.requireConsent).toBe(true);
  });
});

describe("a classroom's links (the printable QR sheet)", () => {
  it("issues a link for each guardian with consent, sorted by child, and lists who was skipped and why", async () => {
    const room = (await gw.admin.expect(201, "POST", `/api/schools/${f.schoolId}/classrooms`, {
      name: "Kelas 3C",
    })) as { id: string };
    const zaki = await newGuardian("Pak Zaki", "Ahmad", room.id);
    const ani = await newGuardian("Ibu Ani D'Souza & Putri", "Zahra", room.id);
    const noConsent = await newGuardian("Pak Belum", "Maya", room.id);
    const gone = await newGuardian("Ibu Pergi", "Bima", room.id);
    for (const g of [zaki, ani, gone]) await recordConsent(gw.admin, g);
    await gw.admin.expect(200, "PATCH", `/api/guardians/${gone}`, { revoked: true });
    // A guardian with a child elsewhere too: only the child in this classroom is named.
    await gw.admin.expect(200, "PATCH", `/api/guardians/${zaki}`, {
      children: [
        { name: "Ahmad", classroomId: room.id },
        { name: "Kakak", classroomId: f.classroomId },
      ],
    });

    const res = await gw.admin.post(`/api/classrooms/${room.id}/links`, { expiresInDays: 14 });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const sheet = res.body as {
      classroom: unknown;
      school: unknown;
      links: {
        guardianId: string;
        guardianName: string;
        children: string[];
        url: string;
        qrSvg: string;
        expiresAt: string;
        linkId: string;
      }[];
      skipped: unknown[];
    };
    expect(sheet.classroom).toEqual({ id: room.id, name: "Kelas 3C" });
    expect(sheet.school).toEqual({ id: f.schoolId, name: "SD Persetujuan" });
    expect(sheet.links.map((l) => [l.guardianName, l.children])).toEqual([
      ["Pak Zaki", ["Ahmad"]],
      ["Ibu Ani D'Souza & Putri", ["Zahra"]],
    ]);
    expect(sheet.skipped).toEqual([
      { guardianId: gone, guardianName: "Ibu Pergi", reason: "revoked" },
      { guardianId: noConsent, guardianName: "Pak Belum", reason: "no_consent" },
    ]);
    for (const l of sheet.links) {
      expect(l.qrSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(l.url).toMatch(new RegExp(`^${gw.url}/a/[A-Za-z0-9_-]{43}$`));
      expect(Date.parse(l.expiresAt) - Date.now()).toBeGreaterThan(13.9 * 86_400_000);
    }
    // Each link works for its own guardian.
    const phone = await openLink(gw, new URL(sheet.links[1]?.url ?? "").pathname);
    expect(((await phone.get("/api/viewer/me")).body as { guardian: { id: string } }).guardian.id).toBe(ani);

    const audit = (await gw.admin.expect(
      200,
      "GET",
      `/api/audit?schoolId=${f.schoolId}&action=classroom.links`,
    )) as {
      events: { target: { id: string }; detail: Record<string, unknown> }[];
    };
    expect(audit.events[0]).toMatchObject({ target: { id: room.id }, detail: { issued: 2, skipped: 2 } });
  });

  it("an unknown classroom is 404 and issues nothing", async () => {
    const before = dbSnapshot(gw.dataDir);
    expect((await gw.admin.post("/api/classrooms/cls_nope/links", {})).status).toBe(404);
    expect((await gw.admin.post(`/api/classrooms/${f.classroomId}/links`, { expiresInDays: 0 })).status).toBe(
      400,
    );
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });
});

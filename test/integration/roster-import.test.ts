import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createLogger } from "../../gateway/src/log/logger.js";
import type { ApiClient } from "../helpers/api-client.js";
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

// Issue 12, the roster of a new school year (kenaikan kelas): a preview that changes nothing, then one
// transaction that adds, updates, moves children to their new classrooms and revokes the guardians who left,
// cutting their phones while they watch.

let gw: TestGateway;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  gw = await startTestGateway(
    { dev: { openStreams: false }, streaming: { idleStopSeconds: 300 } },
    { log: createLogger("error", sink) },
  );
});

afterAll(async () => {
  await gw.close();
});

const csvHeaders = { "content-type": "text/csv" };
const preview = (schoolId: string, csv: string) =>
  gw.admin.post(`/api/schools/${schoolId}/guardians/import/preview`, csv, csvHeaders);
const replace = (schoolId: string, csv: string, digest?: string) =>
  gw.admin.post(
    `/api/schools/${schoolId}/guardians/import?roster=replace${digest === undefined ? "" : `&digest=${digest}`}`,
    csv,
    csvHeaders,
  );

interface Listed {
  id: string;
  name: string;
  phone: string | null;
  children: { name: string; classroomId: string }[];
  revokedAt: string | null;
  links: { revokedAt: string | null }[];
  devices: { id: string; revokedAt: string | null; revokedReason: string | null }[];
}
const guardians = async (schoolId: string) =>
  ((await gw.admin.expect(200, "GET", `/api/schools/${schoolId}/guardians`)) as { guardians: Listed[] })
    .guardians;

/** A phone watching over the WebSocket until the gateway closes it; resolves with the close code. */
async function liveViewer(phone: ApiClient, cameraId: string) {
  const w = await watchAs(gw, phone, cameraId);
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
  return { ws, closed, bytes: () => bytes };
}

describe("a new school year's roster", () => {
  let f: SchoolFixture;
  let andi: string;
  let rina: string;
  let rinaPhone: ApiClient;
  let viewer: Awaited<ReturnType<typeof liveViewer>>;
  // Ibu Sari's Budi goes up to Kelas 2B and she has a new phone; Pak Andi stays; Bu Rina's Dodi left the
  // school; Pak Baru is new.
  const roster = [
    "nama_wali;telepon;nama_anak;kelas",
    "Ibu Sari;0813-1111-2222;Budi;Kelas 2B",
    "Pak Andi;0811000111;Citra;Kelas 1A",
    "Pak Baru;;Eko;Kelas 1A",
    "",
  ].join("\n");

  beforeAll(async () => {
    f = await makeSchool(gw, "SD Kenaikan");
    const add = async (name: string, phone: string, child: string) =>
      (
        (await gw.admin.expect(201, "POST", `/api/schools/${f.schoolId}/guardians`, {
          name,
          phone,
          children: [{ name: child, classroomId: f.classroomId }],
        })) as { id: string }
      ).id;
    andi = await add("Pak Andi", "0811000111", "Citra");
    rina = await add("Bu Rina", "0855000222", "Dodi");
    await recordConsent(gw.admin, rina);
    const link = (await gw.admin.expect(201, "POST", `/api/guardians/${rina}/links`, {})) as { url: string };
    rinaPhone = await openLink(gw, new URL(link.url).pathname);
    viewer = await liveViewer(rinaPhone, f.cameraId);
  }, 60_000);

  it("preview: names who is added, changed, moved and missing, with classroom names, and writes nothing", async () => {
    const before = dbSnapshot(gw.dataDir);
    const r = await preview(f.schoolId, roster);
    expect(r.status, r.text).toBe(200);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    const p = r.body as Record<string, unknown> & { digest: string };
    expect(p).toEqual({
      rows: 3,
      added: [
        {
          line: 4,
          name: "Pak Baru",
          phone: null,
          email: null,
          children: [{ name: "Eko", classroom: "Kelas 1A" }],
        },
      ],
      changed: [
        {
          guardianId: f.guardianId,
          name: "Ibu Sari",
          fields: { phone: { from: "081234567890", to: "081311112222" } },
        },
      ],
      moved: [
        { guardianId: f.guardianId, name: "Ibu Sari", child: "Budi", from: "Kelas 1A", to: "Kelas 2B" },
      ],
      childrenAdded: [],
      childrenRemoved: [],
      missing: [
        {
          guardianId: rina,
          name: "Bu Rina",
          children: [{ name: "Dodi", classroom: "Kelas 1A" }],
          links: 1,
          devices: 1,
        },
      ],
      unchanged: 1,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    // The same roster and state give the same digest; a preview is repeatable.
    expect(((await preview(f.schoolId, roster)).body as { digest: string }).digest).toBe(p.digest);
  });

  it("a bad file is refused whole (422, every problem listed) by preview and apply, and nothing changes", async () => {
    const bad = [
      "nama_wali;telepon;nama_anak;kelas",
      "Ibu Sari;0813-1111-2222;Budi;Kelas 9Z",
      "Pak <b>Andi</b>;12;Citra;Kelas 1A",
      "",
    ].join("\n");
    const before = dbSnapshot(gw.dataDir);
    for (const r of [await preview(f.schoolId, bad), await replace(f.schoolId, bad)]) {
      expect(r.status).toBe(422);
      const e = (r.body as { error: { code: string; problems: { line: number; field?: string }[] } }).error;
      expect(e.code).toBe("invalid_csv");
      expect(e.problems.map((x) => [x.line, x.field])).toEqual([
        [2, "classroom"],
        [3, "guardian_name"],
        [3, "phone"],
      ]);
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("refuses a bad mode or digest in the query with the field named", async () => {
    const r = await gw.admin.post(
      `/api/schools/${f.schoolId}/guardians/import?roster=all`,
      roster,
      csvHeaders,
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: "invalid_input", field: "roster" } });
    const d = await replace(f.schoolId, roster, "not-a-digest");
    expect(d.status).toBe(400);
    expect(d.body).toMatchObject({ error: { code: "invalid_input", field: "digest" } });
  });

  it("a failure half-way (a forced constraint on the last step) leaves nothing applied and the viewer watching", async () => {
    const { digest } = (await preview(f.schoolId, roster)).body as { digest: string };
    // A trigger that fails the revocation of Bu Rina: by then the addition and the move are written.
    const side = new Database(join(gw.dataDir, "pantau.db"));
    side
      .prepare(
        `CREATE TRIGGER test_fail_revoke BEFORE UPDATE OF revoked_at ON guardians
         WHEN NEW.revoked_at IS NOT NULL AND OLD.name = 'Bu Rina'
         BEGIN SELECT RAISE(ABORT, 'forced by the test'); END`,
      )
      .run();
    try {
      const before = dbSnapshot(gw.dataDir);
      const r = await replace(f.schoolId, roster, digest);
      expect(r.status).toBe(500);
      // It failed where the test made it fail, after the addition and the move were written.
      expect(logLines.join("")).toContain("forced by the test");
      expect(dbSnapshot(gw.dataDir)).toBe(before);
    } finally {
      side.prepare("DROP TRIGGER test_fail_revoke").run();
      side.close();
    }
    const seen = viewer.bytes();
    await waitFor("more video after the failed apply", () => viewer.bytes() > seen + 10_000, 10_000);
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN);
    expect((await guardians(f.schoolId)).map((g) => g.name)).toEqual(["Bu Rina", "Ibu Sari", "Pak Andi"]);
  });

  it("a digest from before a change is refused with 409 roster_changed, and nothing changes", async () => {
    const { digest } = (await preview(f.schoolId, roster)).body as { digest: string };
    await gw.admin.expect(200, "PATCH", `/api/guardians/${andi}`, { email: "andi@example.id" });
    const before = dbSnapshot(gw.dataDir);
    const r = await replace(f.schoolId, roster, digest);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      error: {
        code: "roster_changed",
        messages: {
          id: expect.stringContaining("pratinjau lagi") as unknown,
          en: expect.stringContaining("Preview the roster again") as unknown,
        },
      },
    });
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    // So is another file than the one previewed.
    const fresh = ((await preview(f.schoolId, roster)).body as { digest: string }).digest;
    expect(fresh).not.toBe(digest);
    expect((await replace(f.schoolId, roster.replace("Pak Baru", "Pak Baru Sekali"), fresh)).status).toBe(
      409,
    );
  });

  it("applies the previewed roster in one go: added, phone changed, Budi moved, Bu Rina revoked and cut off", async () => {
    const { digest } = (await preview(f.schoolId, roster)).body as { digest: string };
    const r = await replace(f.schoolId, roster, digest);
    expect(r.status, r.text).toBe(200);
    const appliedAt = Date.now();
    expect(r.body).toEqual({
      created: 1,
      updated: 1,
      moved: 1,
      revoked: 1,
      childrenAdded: 1,
      childrenRemoved: 0,
    });

    // The leaver's phone, watching, is cut within the design's 2 s; their next watch is refused.
    const c = await viewer.closed;
    expect(c).toEqual({ code: 4403, reason: "revoked" });
    expect(Date.now() - appliedAt).toBeLessThan(2000);
    const again = await rinaPhone.post(`/api/watch/${f.cameraId}`);
    expect(again.status).toBe(403);

    const list = await guardians(f.schoolId);
    const by = (name: string) => list.find((g) => g.name === name) as Listed;
    expect(by("Ibu Sari")).toMatchObject({
      id: f.guardianId,
      phone: "081311112222",
      children: [{ name: "Budi", classroomId: f.otherClassroomId }],
      revokedAt: null,
    });
    expect(by("Pak Andi")).toMatchObject({ id: andi, email: "andi@example.id", revokedAt: null });
    expect(by("Pak Baru")).toMatchObject({
      phone: null,
      children: [{ name: "Eko", classroomId: f.classroomId }],
    });
    const leaver = by("Bu Rina");
    expect(leaver.revokedAt).not.toBeNull();
    expect(leaver.links.every((l) => l.revokedAt !== null)).toBe(true);
    expect(leaver.devices.map((d) => [d.revokedAt !== null, d.revokedReason])).toEqual([[true, "link"]]);

    // Audited: the import with its counts, and the leaver's own revocation with why.
    const audit = (await gw.admin.expect(
      200,
      "GET",
      `/api/audit?schoolId=${f.schoolId}&action=guardian`,
    )) as { events: { action: string; target: { id: string }; detail: Record<string, unknown> }[] };
    const imported = audit.events.find((e) => e.action === "guardian.import");
    expect(imported?.detail).toEqual({
      mode: "replace",
      rows: 3,
      created: 1,
      updated: 1,
      moved: 1,
      revoked: 1,
      childrenAdded: 1,
      childrenRemoved: 0,
    });
    const revoked = audit.events.filter((e) => e.action === "guardian.revoke");
    expect(revoked.map((e) => [e.target.id, e.detail])).toEqual([
      [rina, { reason: "not_on_roster", name: "Bu Rina", linksRevoked: 1, devicesRevoked: 1 }],
    ]);

    // The same roster again: everyone unchanged, no one missing, nothing to do.
    const second = (await preview(f.schoolId, roster)).body as { unchanged: number; missing: unknown[] };
    expect(second).toMatchObject({ unchanged: 3, missing: [], added: [], moved: [], changed: [] });
    expect((await replace(f.schoolId, roster)).body).toEqual({
      created: 0,
      updated: 0,
      moved: 0,
      revoked: 0,
      childrenAdded: 0,
      childrenRemoved: 0,
    });
  });

  it("without roster=replace the import stays additive: nobody moved or revoked", async () => {
    const s = await makeSchool(gw, "SD Tambah");
    const r = await gw.admin.post(
      `/api/schools/${s.schoolId}/guardians/import`,
      "guardian_name,phone,child_name,classroom\nIbu Sari,0812-3456-7890,Budi,Kelas 2B\nPak Baru,,Eko,Kelas 1A\n",
      csvHeaders,
    );
    expect(r.body).toEqual({ created: 1, updated: 1, childrenAdded: 2 });
    const sari = (await guardians(s.schoolId)).find((g) => g.name === "Ibu Sari");
    expect(sari?.children.map((c) => c.classroomId).sort()).toEqual(
      [s.classroomId, s.otherClassroomId].sort(),
    );
  });
});

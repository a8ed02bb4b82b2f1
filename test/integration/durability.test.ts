import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { integrityCheck } from "../helpers/db-snapshot.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";

// Design.md, storage: "Acknowledged writes survive kill -9". The gateway runs as its own process; a burst of
// concurrent creates is cut by SIGKILL part-way; after a restart on the same data directory the database is
// sound, and every write that was answered 2xx is there, with its audit record.

const password = "durable-operator-password";
const dataDir = mkdtempSync(join(tmpdir(), "pantau-durable-"));
const env = {
  PANTAU_DATA_DIR: dataDir,
  PANTAU_DEMO: "0",
  PANTAU_ADMIN_USER: "operator",
  PANTAU_ADMIN_PASSWORD: password,
  PANTAU_HTTP_RATE_LIMIT_PER_MINUTE: "100000",
  PANTAU_LOG_LEVEL: "warn",
};
const started: GatewayProcess[] = [];

afterAll(async () => {
  for (const gp of started) await gp.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<GatewayProcess> {
  const gp = await startGatewayProcess(env);
  started.push(gp);
  return gp;
}

interface Ack {
  kind: "guardian" | "classroom";
  id: string;
  name: string;
}

describe("durability", () => {
  it("keeps every acknowledged write, and its audit record, across kill -9 in a burst of writes", async () => {
    const total = 300;
    const inFlight = 8;
    const killAfterAcks = 100;

    const first = await start();
    const admin = await new ApiClient(first.url).login("operator", password);
    const school = (await admin.expect(201, "POST", "/api/schools", { name: "SD Tahan Banting" })) as {
      id: string;
    };
    const room = (await admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
      name: "Kelas 1A",
    })) as { id: string };

    // Half guardians (a row plus a child row), half classrooms, eight in flight at any moment.
    const acks: Ack[] = [];
    const failures: string[] = [];
    let next = 0;
    let killed = false;
    const write = async (i: number) => {
      const kind = i % 2 === 0 ? "guardian" : "classroom";
      const name = kind === "guardian" ? `Wali Nomor ${String(i)}` : `Kelas B${String(i)}`;
      const r =
        kind === "guardian"
          ? await admin.request("POST", `/api/schools/${school.id}/guardians`, {
              name,
              children: [{ name: `Anak ${String(i)}`, classroomId: room.id }],
            })
          : await admin.request("POST", `/api/schools/${school.id}/classrooms`, { name });
      if (r.status !== 201) throw new Error(`${kind} ${String(i)}: ${String(r.status)} ${r.text}`);
      acks.push({ kind, id: (r.body as { id: string }).id, name });
      if (acks.length === killAfterAcks && !killed) {
        killed = true;
        first.child.kill("SIGKILL");
      }
    };
    const worker = async () => {
      while (next < total) {
        const i = next++;
        try {
          await write(i);
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : "";
          failures.push(err instanceof Error ? `${err.message} ${cause}` : String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    // The kill landed mid-burst: some writes were answered, the rest failed at the connection, none otherwise.
    expect(acks.length).toBeGreaterThanOrEqual(killAfterAcks);
    expect(acks.length).toBeLessThan(total);
    expect(acks.length + failures.length).toBe(total);
    for (const f of failures)
      expect(f).toMatch(/^(fetch failed|terminated) .*(ECONNRESET|EPIPE|other side closed|ECONNREFUSED)/);

    // Before any restart: the file as kill -9 left it (WAL and all) is a sound database holding every acked row.
    const file = join(dataDir, "pantau.db");
    expect(integrityCheck(file)).toBe("ok");
    const db = new Database(file, { readonly: true });
    const ids = (sql: string, ...args: unknown[]) =>
      new Set((db.prepare(sql).all(...args) as { id: string }[]).map((r) => r.id));
    const guardianRows = ids("SELECT id FROM guardians WHERE school_id = ?", school.id);
    const classroomRows = ids("SELECT id FROM classrooms WHERE school_id = ?", school.id);
    const audited = (action: string) =>
      ids("SELECT target_id AS id FROM audit_events WHERE action = ? AND school_id = ?", action, school.id);
    const guardianAudit = audited("guardian.create");
    const classroomAudit = audited("classroom.create");
    const children = db.prepare("SELECT count(*) AS n FROM guardian_children").get() as { n: number };
    db.close();
    for (const a of acks) {
      expect(a.kind === "guardian" ? guardianRows : classroomRows, `${a.kind} ${a.id} row`).toContain(a.id);
      expect(a.kind === "guardian" ? guardianAudit : classroomAudit, `${a.kind} ${a.id} audit`).toContain(
        a.id,
      );
    }
    // A change and its audit record commit together: no row without its record, no record without its row.
    expect(guardianAudit).toEqual(guardianRows);
    expect(classroomAudit).toEqual(classroomRows);
    expect(children.n).toBe(guardianRows.size);

    // After a restart on the same data: the same session still signs requests, and the API shows every ack.
    const second = await start();
    const again = new ApiClient(second.url);
    for (const [k, v] of admin.cookies) again.cookies.set(k, v);
    expect((await again.get("/api/auth/me")).status).toBe(200);
    const guardians = (
      (await again.expect(200, "GET", `/api/schools/${school.id}/guardians`)) as {
        guardians: { id: string; name: string; children: { classroomId: string }[] }[];
      }
    ).guardians;
    const classrooms = (
      (await again.expect(200, "GET", `/api/schools/${school.id}/classrooms`)) as {
        classrooms: { id: string; name: string }[];
      }
    ).classrooms;
    const events = (
      (await again.expect(200, "GET", `/api/audit?schoolId=${school.id}&limit=100000`)) as {
        events: { action: string; target: { id: string | null } }[];
      }
    ).events;
    for (const a of acks) {
      const listed =
        a.kind === "guardian" ? guardians.find((g) => g.id === a.id) : classrooms.find((c) => c.id === a.id);
      expect(listed, `${a.kind} ${a.id} after restart`).toMatchObject({ name: a.name });
      expect(
        events.some((e) => e.action === `${a.kind}.create` && e.target.id === a.id),
        `${a.kind} ${a.id} audited`,
      ).toBe(true);
    }
    expect(guardians.every((g) => g.children.length === 1 && g.children[0]?.classroomId === room.id)).toBe(
      true,
    );
    // The restarted gateway takes writes again.
    await again.expect(201, "POST", `/api/schools/${school.id}/classrooms`, { name: "Kelas Sesudah" });
  });
});

import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

const secret = "hook-secret-abcdefghijklmnop";
const botToken = "7654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

let gw: TestGateway;
let schoolA: string;
let schoolB: string;
let admin: ApiClient;
let teacher: ApiClient;

beforeAll(async () => {
  // No alerts.smtp here: e-mail channels are refused, with the reason.
  gw = await startTestGateway();
  schoolA = ((await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Mawar" })) as { id: string }).id;
  schoolB = ((await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Melati" })) as { id: string })
    .id;
  const room = (await gw.admin.expect(201, "POST", `/api/schools/${schoolA}/classrooms`, {
    name: "Kelas 1A",
  })) as { id: string };
  await gw.admin.expect(201, "POST", "/api/users", {
    username: "tu.mawar",
    displayName: "TU Mawar",
    password: "kata-sandi-mawar-1",
    role: "school_admin",
    schoolId: schoolA,
  });
  await gw.admin.expect(201, "POST", "/api/users", {
    username: "guru.mawar",
    displayName: "Guru Mawar",
    password: "kata-sandi-guru-1",
    role: "teacher",
    schoolId: schoolA,
    classroomIds: [room.id],
  });
  admin = await new ApiClient(gw.url).login("tu.mawar", "kata-sandi-mawar-1");
  teacher = await new ApiClient(gw.url).login("guru.mawar", "kata-sandi-guru-1");
});

afterAll(async () => {
  await gw.close();
});

type View = {
  id: string;
  schoolId: string | null;
  kind: string;
  name: string;
  config: unknown;
  hasSecret: boolean;
};

async function channels(as: ApiClient = gw.admin): Promise<View[]> {
  return ((await as.expect(200, "GET", "/api/alert-channels")) as { channels: View[] }).channels;
}

async function channelAudit(): Promise<{ action: string; detail: unknown }[]> {
  const r = (await gw.admin.expect(200, "GET", "/api/audit?action=alert_channel&limit=1000")) as {
    events: { action: string; detail: unknown }[];
  };
  return r.events;
}

describe("/api/alert-channels", () => {
  it("an operator adds webhook and Telegram channels, for one school or for all; GET never shows a secret", async () => {
    const hook = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: "https://hooks.example.org/pantau/T0/B0",
      secret,
      schoolId: schoolA,
      name: "Dinas webhook",
    })) as View;
    expect(hook).toMatchObject({
      schoolId: schoolA,
      kind: "webhook",
      name: "Dinas webhook",
      config: { url: "https://hooks.example.org/pantau/T0/B0" },
      hasSecret: true,
      enabled: true,
    });
    const tg = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "telegram",
      chatId: -1009876543210,
      botToken,
    })) as View;
    expect(tg).toMatchObject({ schoolId: null, kind: "telegram", name: "telegram -1009876543210" });
    expect(tg.config).toEqual({ chatId: "-1009876543210" });
    const list = await gw.admin.get("/api/alert-channels");
    expect((list.body as { channels: View[] }).channels.map((c) => c.id)).toEqual([hook.id, tg.id]);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(botToken);
    // Sealed at rest, too: neither secret is in the database file.
    const db = new Database(join(gw.dataDir, "pantau.db"), { readonly: true });
    const rows = db.prepare("SELECT * FROM alert_channels").all();
    db.close();
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).not.toContain(botToken.split(":")[1]);
    expect(readFileSync(join(gw.dataDir, "pantau.db")).includes(secret)).toBe(false);
    const audit = await channelAudit();
    expect(audit.map((e) => e.action)).toEqual(["alert_channel.create", "alert_channel.create"]);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain("T0/B0");
  });

  it("a school admin adds and sees only their own school's channels; not another school's, not all schools'", async () => {
    const own = (await admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: "http://192.0.2.7:8080/alerts",
      secret,
    })) as View;
    expect(own.schoolId).toBe(schoolA);
    const other = await admin.post("/api/alert-channels", {
      kind: "webhook",
      url: "http://192.0.2.7:8080/alerts",
      secret,
      schoolId: schoolB,
    });
    expect(other.status).toBe(403);
    const all = await admin.post("/api/alert-channels", {
      kind: "webhook",
      url: "http://192.0.2.7:8080/alerts",
      secret,
      schoolId: null,
    });
    expect(all.status).toBe(403);
    const mine = await channels(admin);
    expect(mine.every((c) => c.schoolId === schoolA)).toBe(true);
    expect(mine.map((c) => c.id)).toContain(own.id);
    // The operator's channel of every school is not theirs to see or remove.
    const allSchools = (await channels()).find((c) => c.schoolId === null)!;
    expect(mine.map((c) => c.id)).not.toContain(allSchools.id);
    expect((await admin.delete(`/api/alert-channels/${allSchools.id}`)).status).toBe(404);
    expect((await admin.post(`/api/alert-channels/${allSchools.id}/test`)).status).toBe(404);
    const theirs = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: "https://example.net/b",
      secret,
      schoolId: schoolB,
    })) as View;
    expect((await admin.delete(`/api/alert-channels/${theirs.id}`)).status).toBe(404);
    expect((await channels()).map((c) => c.id)).toContain(theirs.id);
    expect((await admin.delete(`/api/alert-channels/${own.id}`)).status).toBe(204);
    expect((await channels(admin)).map((c) => c.id)).not.toContain(own.id);
    const audit = await channelAudit();
    expect(audit[0]).toMatchObject({
      action: "alert_channel.delete",
      detail: { config: { kind: "webhook", url: "http://192.0.2.7:8080/…" } },
    });
  });

  it("PATCH renames a channel or switches it off; nothing else changes; audited", async () => {
    const ch = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: "https://example.org/patch-me",
      secret,
      schoolId: schoolA,
    })) as View;
    const off = (await admin.expect(200, "PATCH", `/api/alert-channels/${ch.id}`, {
      name: "Grup TU",
      enabled: false,
    })) as View;
    expect(off).toEqual({ ...ch, name: "Grup TU", enabled: false });
    expect((await admin.patch(`/api/alert-channels/${ch.id}`, { secret: "x".repeat(20) })).status).toBe(400);
    expect((await admin.patch(`/api/alert-channels/${ch.id}`, { enabled: "no" })).body.error.field).toBe(
      "enabled",
    );
    expect((await teacher.patch(`/api/alert-channels/${ch.id}`, { enabled: true })).status).toBe(403);
    expect((await channelAudit())[0]).toMatchObject({
      action: "alert_channel.update",
      detail: { name: "Grup TU", enabled: false },
    });
    await gw.admin.expect(204, "DELETE", `/api/alert-channels/${ch.id}`);
  });

  it("a teacher may not list, add, remove or test alert channels (403)", async () => {
    const id = (await channels())[0]!.id;
    expect((await teacher.get("/api/alert-channels")).status).toBe(403);
    expect(
      (await teacher.post("/api/alert-channels", { kind: "webhook", url: "https://x.example/h", secret }))
        .status,
    ).toBe(403);
    expect((await teacher.delete(`/api/alert-channels/${id}`)).status).toBe(403);
    expect((await teacher.post(`/api/alert-channels/${id}/test`)).status).toBe(403);
    expect((await new ApiClient(gw.url).get("/api/alert-channels")).status).toBe(401);
  });

  it("bad bodies are 400 naming the field, and nothing is stored", async () => {
    const before = await channels();
    const auditBefore = (await channelAudit()).length;
    const cases: [unknown, string][] = [
      [{ kind: "pager", url: "https://x.example/h" }, "kind"],
      [{ url: "https://x.example/h", secret }, "kind"],
      [{ kind: "webhook", url: "ftp://x.example/h", secret }, "url"],
      [{ kind: "webhook", url: "file:///etc/passwd", secret }, "url"],
      [{ kind: "webhook", url: "https://user:pw@x.example/h", secret }, "url"],
      [{ kind: "webhook", url: "not a url", secret }, "url"],
      [{ kind: "webhook", url: "http://169.254.169.254/latest/meta-data", secret }, "url"],
      [{ kind: "webhook", url: "http://[fe80::1]/h", secret }, "url"],
      [{ kind: "webhook", url: "http://224.0.0.1/h", secret }, "url"],
      [{ kind: "webhook", url: "http://0.0.0.0:8080/h", secret }, "url"],
      [{ kind: "webhook", url: "https://x.example/h" }, "secret"],
      [{ kind: "webhook", url: "https://x.example/h", secret: "short" }, "secret"],
      [{ kind: "webhook", url: "https://x.example/h", secret, schoolId: "../etc" }, "schoolId"],
      [{ kind: "webhook", url: "https://x.example/h", secret, schoolId: "sch_nope" }, "schoolId"],
      [{ kind: "webhook", url: "https://x.example/h", secret, name: "<script>" }, "name"],
      [{ kind: "webhook", url: "https://x.example/h", secret, extra: 1 }, ""],
      [{ kind: "email", to: "not-an-address" }, "to"],
      [{ kind: "email", to: [] }, "to"],
      [{ kind: "telegram", chatId: "12345", botToken: "nope" }, "botToken"],
      [{ kind: "telegram", chatId: "chat; drop", botToken }, "chatId"],
      [{ kind: "telegram", botToken }, "chatId"],
    ];
    for (const [body, field] of cases) {
      const r = await gw.admin.post("/api/alert-channels", body);
      expect([r.status, r.body?.error?.code, r.body?.error?.field ?? ""], JSON.stringify(body)).toEqual([
        400,
        "invalid_input",
        field,
      ]);
    }
    const text = await gw.admin.post("/api/alert-channels", "kind=webhook", { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    // Well-formed, but this gateway has no SMTP server to send with: refused, with the reason in both languages.
    const email = await gw.admin.post("/api/alert-channels", { kind: "email", to: "tu@sdmawar.sch.id" });
    expect(email.status).toBe(422);
    expect(email.body.error).toMatchObject({
      code: "smtp_not_configured",
      messages: { id: expect.any(String) },
    });
    expect(await channels()).toEqual(before);
    expect(await channelAudit()).toHaveLength(auditBefore);
  });

  it("an unknown or malformed id is 404", async () => {
    expect((await gw.admin.delete("/api/alert-channels/alc_nope")).status).toBe(404);
    expect((await gw.admin.delete("/api/alert-channels/..%2F..")).status).toBe(404);
    expect((await gw.admin.post("/api/alert-channels/alc_nope/test")).status).toBe(404);
  });

  it("the routes are in the OpenAPI document with their body schema", async () => {
    const doc = (await gw.admin.expect(200, "GET", "/api/openapi.json")) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(Object.keys(doc.paths["/api/alert-channels"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/alert-channels/{id}"] ?? {}).sort()).toEqual(["delete", "patch"]);
    expect(JSON.stringify(doc.paths["/api/alert-channels"]?.post?.requestBody)).toContain("botToken");
    expect(doc.paths["/api/alert-channels/{id}"]?.delete).toBeDefined();
    expect(doc.paths["/api/alert-channels/{id}/test"]?.post).toBeDefined();
  });
});

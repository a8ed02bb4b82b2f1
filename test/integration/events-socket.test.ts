import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, type SchoolFixture } from "../helpers/school-fixture.js";

/** `/api/events` over a real WebSocket: what the console hears, and who may listen. */

let gw: TestGateway;
let a: SchoolFixture;
let b: SchoolFixture;

interface Message {
  type: string;
  [k: string]: unknown;
}

/** Opens the socket as `client` (its cookies), collecting messages; rejects with the refusal's status. */
function open(client: ApiClient, headers: Record<string, string> = {}) {
  const url = `${gw.url.replace(/^http/, "ws")}/api/events`;
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const ws = new WebSocket(url, { headers: { cookie, origin: gw.url, ...headers } });
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as Message);
    for (const w of waiters.splice(0)) w();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${String(res.statusCode)}`)));
    ws.once("error", reject);
  });
  const next = async (pred: (m: Message) => boolean): Promise<Message> => {
    for (;;) {
      const found = messages.find(pred);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { ws, opened, messages, next };
}

beforeAll(async () => {
  gw = await startTestGateway();
  a = await makeSchool(gw, "SD Satu");
  b = await makeSchool(gw, "SD Dua");
});

afterAll(async () => {
  await (gw as TestGateway | undefined)?.close();
});

describe("/api/events", () => {
  it("says hello with every camera's health, then tells each stored change", async () => {
    const s = open(gw.admin);
    await s.opened;
    const hello = await s.next((m) => m.type === "hello");
    const ids = (hello.cameras as { cameraId: string }[]).map((c) => c.cameraId);
    expect(ids).toEqual(expect.arrayContaining([a.cameraId, b.cameraId]));
    await gw.admin.expect(200, "PATCH", `/api/cameras/${a.cameraId}`, { enabled: false });
    const change = await s.next((m) => m.type === "state" && m.cameraId === a.cameraId);
    expect(change).toMatchObject({ to: "disabled", schoolId: a.schoolId });
    expect(typeof change.at).toBe("string");
    await gw.admin.expect(200, "PATCH", `/api/cameras/${a.cameraId}`, { enabled: true });
    s.ws.close();
  });

  it("a school admin hears only their own school", async () => {
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "admin.dua",
      displayName: "Admin Dua",
      password: "password-for-tests",
      role: "school_admin",
      schoolId: b.schoolId,
    });
    const adminB = await new ApiClient(gw.url).login("admin.dua", "password-for-tests");
    const s = open(adminB);
    await s.opened;
    const hello = await s.next((m) => m.type === "hello");
    const schools = new Set((hello.cameras as { schoolId: string }[]).map((c) => c.schoolId));
    expect([...schools]).toEqual([b.schoolId]);
    await gw.admin.expect(200, "PATCH", `/api/cameras/${a.cameraId}`, { enabled: false });
    await gw.admin.expect(200, "PATCH", `/api/cameras/${b.otherCameraId}`, { enabled: false });
    const seen = await s.next((m) => m.type === "state");
    // The first change it hears is its own school's, though school A's came first.
    expect(seen.cameraId).toBe(b.otherCameraId);
    expect(s.messages.some((m) => m.cameraId === a.cameraId)).toBe(false);
    s.ws.close();
  });

  it("refuses another site's page, a visitor without a sign-in and a teacher", async () => {
    await expect(open(gw.admin, { origin: "https://evil.example" }).opened).rejects.toThrow("HTTP 403");
    await expect(open(new ApiClient(gw.url)).opened).rejects.toThrow("HTTP 401");
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.satu",
      displayName: "Guru Satu",
      password: "password-for-tests",
      role: "teacher",
      schoolId: a.schoolId,
    });
    const teacher = await new ApiClient(gw.url).login("guru.satu", "password-for-tests");
    await expect(open(teacher).opened).rejects.toThrow("HTTP 403");
  });

  it("ends the socket when the sign-in ends", async () => {
    const admin = await new ApiClient(gw.url).login("admin.dua", "password-for-tests");
    const s = open(admin);
    await s.opened;
    const closed = new Promise<number>((resolve) => s.ws.once("close", (code) => resolve(code)));
    await admin.expect(204, "POST", "/api/auth/logout");
    expect(await closed).toBe(4401);
  });
});

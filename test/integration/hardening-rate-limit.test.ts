// What broke: the API rate limit counted every cookie-shaped value as a client of its own, so a made-up
// cookie on each request never ran out; and the roster import read a stranger's CSV (up to 2 MB) before
// asking who was sending it.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { fromAddress } from "../helpers/from-address.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, openLink, type SchoolFixture } from "../helpers/school-fixture.js";

const limit = 20;
let gw: TestGateway;
let f: SchoolFixture;

beforeAll(async () => {
  gw = await startTestGateway({ http: { rateLimitPerMinute: limit } });
  f = await makeSchool(gw, "SD Batas");
});

afterAll(async () => {
  await gw.close();
});

const madeUp = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

describe("API rate limit keys", () => {
  it("counts made-up cookies against the address; a real phone or sign-in keeps its own share", async () => {
    const phone = await openLink(gw, f.linkPath);
    const staff = await new ApiClient(gw.url).login("operator", "operator-test-password");
    const signedOut = await new ApiClient(gw.url).login("operator", "operator-test-password");
    expect((await signedOut.post("/api/auth/logout")).status).toBe(204);
    const before = new Set(
      (
        (await gw.admin.expect(200, "GET", `/api/schools/${f.schoolId}/guardians`)) as {
          guardians: { devices: { id: string }[] }[];
        }
      ).guardians.flatMap((g) => g.devices.map((d) => d.id)),
    );
    const revokedPhone = await openLink(gw, f.linkPath);
    const revokedId = (
      (await gw.admin.expect(200, "GET", `/api/schools/${f.schoolId}/guardians`)) as {
        guardians: { devices: { id: string }[] }[];
      }
    ).guardians
      .flatMap((g) => g.devices.map((d) => d.id))
      .find((id) => !before.has(id));
    await gw.admin.expect(200, "DELETE", `/api/devices/${String(revokedId)}`);

    const laptop = fromAddress(gw.url, "127.0.0.9");
    const statuses = [];
    for (let i = 0; i <= limit; i++) {
      const cookie = `pantau_device=${madeUp()}; pantau_session=${madeUp()}`;
      statuses.push((await laptop.get("/api/viewer/me", { cookie })).status);
    }
    expect(statuses).toEqual([...Array<number>(limit).fill(401), 429]);
    // The address's share is spent for anything that is not a live phone or sign-in …
    const cookieOf = (c: ApiClient, name: string) => `${name}=${String(c.cookies.get(name))}`;
    expect((await laptop.get("/api/viewer/me")).status).toBe(429);
    expect((await laptop.get("/api/auth/me", { cookie: cookieOf(signedOut, "pantau_session") })).status).toBe(
      429,
    );
    expect(
      (await laptop.get("/api/viewer/me", { cookie: cookieOf(revokedPhone, "pantau_device") })).status,
    ).toBe(429);
    // … while a registered phone and a signed-in admin at the same address are counted on their own.
    expect((await laptop.get("/api/viewer/me", { cookie: cookieOf(phone, "pantau_device") })).status).toBe(
      200,
    );
    expect((await laptop.get("/api/auth/me", { cookie: cookieOf(staff, "pantau_session") })).status).toBe(
      200,
    );
  });
});

/**
 * Sends a request's head and only the first part of the body it announces, and resolves with the answer's
 * head: an answer can only come before the body is complete if the gateway did not wait for it.
 */
function answerBeforeBody(path: string, headers: Record<string, string>, announced: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(gw.url);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let got = "";
    socket.on("error", reject);
    socket.on("close", () => {
      reject(new Error(`connection closed before an answer: ${JSON.stringify(got)}`));
    });
    socket.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) {
        resolve(got);
        socket.destroy();
      }
    });
    const head = Object.entries({
      host: url.host,
      "content-type": "text/csv",
      "content-length": String(announced),
      ...headers,
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
    socket.write("guardian_name,child_name,classroom\n" + "Wali,Anak,Kelas 1A\n".repeat(100));
  });
}

describe("roster import", () => {
  const announced = 1_500_000; // under http.csvLimitBytes (2 MB), so only the order of checks can answer early

  it("answers a stranger 401 before reading the CSV body", async () => {
    const head = await answerBeforeBody(`/api/schools/${f.schoolId}/guardians/import`, {}, announced);
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("answers a signed-in account without the right 403 or 404 before reading the body", async () => {
    const other = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Lain" })) as { id: string };
    for (const [username, role, schoolId] of [
      ["guru.batas", "teacher", f.schoolId],
      ["admin.lain", "school_admin", other.id],
    ] as const) {
      await gw.admin.expect(201, "POST", "/api/users", {
        username,
        displayName: username,
        password: "sandi-rahasia-1",
        role,
        schoolId,
      });
    }
    const sessionOf = async (u: string) =>
      `pantau_session=${String((await new ApiClient(gw.url).login(u, "sandi-rahasia-1")).cookies.get("pantau_session"))}`;
    const path = `/api/schools/${f.schoolId}/guardians/import`;
    expect(await answerBeforeBody(path, { cookie: await sessionOf("guru.batas") }, announced)).toMatch(
      /^HTTP\/1\.1 403 /,
    );
    expect(await answerBeforeBody(path, { cookie: await sessionOf("admin.lain") }, announced)).toMatch(
      /^HTTP\/1\.1 404 /,
    );
  });

  it("still imports the school admin's whole CSV", async () => {
    const r = await gw.admin.post(
      `/api/schools/${f.schoolId}/guardians/import`,
      "guardian_name,child_name,classroom\nIbu Ani,Citra,Kelas 1A\n",
      { "content-type": "text/csv" },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 1 });
  });
});

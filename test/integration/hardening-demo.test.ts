import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { openLink, postLink } from "../helpers/school-fixture.js";

// Issue 9, item 4: the demo camera was watchable by anyone at any hour; its flag survived a PATCH to a real
// source and PANTAU_DEMO=0, / led to it, and every visit registered a device for the demo guardian (no slot
// limit), wrote an audit row and rebuilt the access state: rows without bound from anyone who opens /.

const started: TestGateway[] = [];
afterEach(async () => {
  for (const g of started.splice(0)) await g.close();
});

/** A gateway with the demo on and no open dev streams: the demo is the only thing anyone may watch. */
async function demoGateway(opts: { keepData?: boolean } = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ demo: true, dev: { openStreams: false } }, opts);
  started.push(gw);
  return gw;
}

/** A visitor's browser opening `path`: follows redirects with its own cookie jar; the last answer. */
async function visit(client: ApiClient, path: string) {
  let at = path;
  for (let hop = 0; hop < 5; hop++) {
    const r = await client.get(at);
    const location = r.headers.get("location");
    if (r.status < 300 || r.status >= 400 || location === null) return { ...r, path: at };
    at = new URL(location, client.base).pathname;
  }
  throw new Error(`${path}: too many redirects`);
}

function rowCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, "pantau.db"), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[];
    // The health monitor's own record of the camera (its state once live, not per visitor) is no visitor's row.
    const observed = ["camera_health_events", "camera_facts"];
    return Object.fromEntries(
      tables
        .filter((t) => !observed.includes(t.name))
        .map((t) => [t.name, (db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n]),
    );
  } finally {
    db.close();
  }
}

const demoCameraOf = async (gw: { url: string }) => {
  const list = (await (await fetch(`${gw.url}/api/watchable`)).json()) as {
    cameras: { id: string; demo: boolean }[];
  };
  return list.cameras;
};

describe("the demo", () => {
  it("N visitors opening / and watching the test pattern add no row to the database", async () => {
    const gw = await demoGateway({ keepData: true });
    const { dataDir } = gw;
    try {
      const before = rowCounts(dataDir);
      const snapshot = dbSnapshot(dataDir);
      const visits = [];
      for (let i = 0; i < 12; i++) {
        const visitor = new ApiClient(gw.url);
        const page = await visit(visitor, "/");
        const cameras = (await visitor.get("/api/watchable")).body as { cameras: { id: string }[] };
        const camera = cameras.cameras[0]?.id ?? "";
        const w = await visitor.post(`/api/watch/${camera}`);
        const hls = (w.body as { hls?: string } | undefined)?.hls ?? "";
        // A media request makes the visitor a viewer (a viewing session, counted against the cap).
        const playlist = await fetch(`${gw.url}${hls.replace("index.m3u8", "main/index.m3u8")}`);
        visits.push({
          path: page.path,
          page: page.status,
          cookies: visitor.cookies.size,
          watch: w.status,
          watermark: (w.body as { watermark?: string } | undefined)?.watermark,
          playlist: playlist.status,
          parts: (await playlist.text()).includes("#EXT-X-PART:"),
        });
      }
      // The gateway stops: every viewing session ends, as it would be written then.
      await gw.close();
      started.splice(0);
      expect(rowCounts(dataDir)).toEqual(before);
      expect(dbSnapshot(dataDir)).toBe(snapshot);
      for (const v of visits) {
        expect(v).toEqual({
          path: "/demo",
          page: 200,
          cookies: 0,
          watch: 200,
          watermark: undefined,
          playlist: 200,
          parts: true,
        });
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a demo camera given a real source is a real camera: no one watches it without a sign-in or a phone", async () => {
    const gw = await demoGateway();
    const [demo] = await demoCameraOf(gw);
    expect(demo?.demo).toBe(true);
    const id = demo?.id ?? "";
    const anonymous = new ApiClient(gw.url);
    const before = await anonymous.post(`/api/watch/${id}`);
    expect(before.status).toBe(200);
    const token = (before.body as { hls: string }).hls;

    const patched = (await gw.admin.expect(200, "PATCH", `/api/cameras/${id}`, {
      source: { kind: "rtsp", url: "rtsp://127.0.0.1:9/kelas-1a" },
    })) as { demo: boolean };
    expect(patched.demo).toBe(false);
    expect(await demoCameraOf(gw)).toEqual([]);
    expect((await anonymous.post(`/api/watch/${id}`)).body).toMatchObject({
      error: { code: "not_authorized" },
    });
    // A stream token handed out before the change opens nothing either.
    const media = await fetch(`${gw.url}${token.replace("index.m3u8", "main/index.m3u8")}`);
    expect(media.status).toBe(403);
    // Back on the test pattern it stays a real camera: only the demo setting makes the demo.
    await gw.admin.expect(200, "PATCH", `/api/cameras/${id}`, { source: { kind: "test-pattern" } });
    expect((await anonymous.post(`/api/watch/${id}`)).status).toBe(403);
    expect((await gw.admin.expect(200, "GET", `/api/cameras/${id}`)) as { demo: boolean }).toMatchObject({
      demo: false,
    });
  });

  it("PANTAU_DEMO=0 on a database with a demo: nothing is anonymously watchable, / does not lead there, the demo link and phones are closed", async () => {
    const on = await demoGateway({ keepData: true });
    const { dataDir } = on;
    const [demo] = await demoCameraOf(on);
    const id = demo?.id ?? "";
    const linkPath = new URL(on.demoUrl ?? "").pathname;
    const demoPhone = await openLink(on, linkPath);
    expect((await demoPhone.post(`/api/watch/${id}`)).status).toBe(200);
    expect((await new ApiClient(on.url).post(`/api/watch/${id}`)).status).toBe(200);
    await on.close();
    started.splice(0);

    // The same database, the demo setting off (what PANTAU_DEMO=0 parses to).
    const off = await startTestGateway({ demo: false, dev: { openStreams: false } }, { dataDir });
    started.push(off);
    expect(off.demoUrl).toBeUndefined();
    const anonymous = new ApiClient(off.url);
    const root = await anonymous.get("/");
    expect(root.status).toBe(200);
    expect(root.text).toBe("Pantau gateway\n");
    expect((await anonymous.get("/demo")).status).toBe(404);
    expect(await demoCameraOf(off)).toEqual([]);
    expect((await anonymous.post(`/api/watch/${id}`)).body).toMatchObject({
      error: { code: "not_authorized" },
    });
    // The printed link and the phone it registered are closed with the demo.
    const page = await anonymous.get(linkPath);
    expect(page.status).toBe(410);
    expect(page.text).toContain("link_revoked");
    expect((await postLink(anonymous, linkPath)).status).toBe(410);
    const phone = new ApiClient(off.url);
    for (const [k, v] of demoPhone.cookies) phone.cookies.set(k, v);
    expect((await phone.get("/api/viewer/me")).body).toMatchObject({ error: { code: "revoked" } });
    expect((await phone.post(`/api/watch/${id}`)).body).toMatchObject({ error: { code: "revoked" } });
  });

  it("the printed demo link follows a parent's rules: its page registers nothing, and a third phone is refused", async () => {
    const gw = await demoGateway();
    const linkPath = new URL(gw.demoUrl ?? "").pathname;
    const before = dbSnapshot(gw.dataDir);
    for (const ua of ["WhatsApp/2.23.20.0 A", "TelegramBot (like TwitterBot)", "curl/8.5.0"]) {
      const r = await new ApiClient(gw.url).request("GET", linkPath, undefined, { "user-agent": ua });
      expect(r.status).toBe(200);
      expect(r.text).toContain("Sekolah Demo");
      expect(r.text).toContain("Tonton di HP ini / Watch on this phone");
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    await openLink(gw, linkPath);
    await openLink(gw, linkPath);
    const third = await new ApiClient(gw.url).get(linkPath);
    expect(third.status).toBe(403);
    expect(third.text).toContain("device_limit");
    expect((await postLink(new ApiClient(gw.url), linkPath)).status).toBe(403);
  });
});

// What broke: pantau.db, its WAL and the key file were created world-readable (0644 under the usual
// umask), and a camera password written in the URL's query (`?user=admin&password=…`, as Dahua NVRs take
// it) was stored in the URL, returned by the API, written to the audit log and left in ffmpeg's stderr.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../gateway/src/log/logger.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { ffprobe, waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

const files = ["pantau.db", "pantau.db-wal", "pantau.db-shm", "secret.key"];
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const modes = (dir: string) =>
  Object.fromEntries([dir, ...files.map((f) => join(dir, f))].map((p) => [p, modeOf(p)]));
const private_ = (dir: string): Record<string, string> => ({
  [dir]: "700",
  ...Object.fromEntries(files.map((f) => [join(dir, f), "600"])),
});

// `&` and `:` so the password is percent-encoded in the URL: both spellings must be absent everywhere.
const queryCreds = { username: "admin", password: "kata&sandi:Kamera9" };
const secretForms = [queryCreds.password, encodeURIComponent(queryCreds.password), "kata%26sandi"];
const query = `user=admin&password=${encodeURIComponent(queryCreds.password)}`;
const expectNoSecret = (what: string, text: string) => {
  for (const s of secretForms) expect(text, what).not.toContain(s);
};

let root: string;
let dataDir: string;
let umask: number;
let camera: TestCamera;
let gw: TestGateway | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  // The umask most shells leave (and the one that made 0644 files): the gateway must not depend on it.
  umask = process.umask(0o022);
  root = mkdtempSync(join(tmpdir(), "pantau-secrets-"));
  dataDir = join(root, "data");
  camera = await startTestCamera({ queryCredentials: queryCreds });
});

afterAll(async () => {
  await gw?.close();
  await camera.stop();
  rmSync(root, { recursive: true, force: true });
  process.umask(umask);
});

describe("data directory modes", () => {
  it("a fresh data directory is 0700 and the database, its WAL and shared memory and the key 0600", async () => {
    const first = await startTestGateway({}, { dataDir, keepData: true });
    try {
      expect(modes(dataDir)).toEqual(private_(dataDir));
    } finally {
      await first.close();
    }
  });

  it("an existing data directory with loose modes is tightened at start, and the log says so", async () => {
    // As an older version left it, killed: a clean close removed the WAL and shared memory, a crash leaves
    // them (empty ones are valid: SQLite rebuilds the shared memory and replays an empty WAL).
    // And a camera stored by that version, its password still in the URL's query.
    const old = new Database(join(dataDir, "pantau.db"));
    old
      .prepare(
        `INSERT INTO cameras (id, name, source_kind, source_json, created_at, updated_at)
         VALUES ('cam_stored_before', 'Kamera Lama', 'rtsp', ?, '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z')`,
      )
      .run(JSON.stringify({ url: `rtsp://127.0.0.1:${String(camera.port)}/main?${query}` }));
    old.close();
    chmodSync(dataDir, 0o755);
    for (const f of files) {
      const p = join(dataDir, f);
      if (!existsSync(p)) writeFileSync(p, "");
      chmodSync(p, 0o644);
    }
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });
    // Debug: the ffmpeg argv is logged too, and must not hold the password either (below).
    gw = await startTestGateway({}, { dataDir, keepData: true, log: createLogger("debug", sink) });
    expect(modes(dataDir)).toEqual(private_(dataDir));
    const log = logLines.join("");
    for (const p of [dataDir, ...files.map((f) => join(dataDir, f))]) {
      expect(log).toContain(`${p} was readable by other users`);
    }
    expect(log).toContain("[cam cam_stored_before] credentials moved out of the stored stream URL");
  });
});

describe("credentials in the RTSP URL's query", () => {
  let playing: string;
  let failing: string;

  beforeAll(() => {
    if (!gw) throw new Error("the gateway of the data directory tests did not start");
  });

  it("are kept apart: the camera plays (it refuses a DESCRIBE without them) and ffmpeg got them", async () => {
    const g = gw as TestGateway;
    ({ id: playing } = await g.addCamera({
      name: "Kamera NVR",
      source: { kind: "rtsp", url: `rtsp://127.0.0.1:${String(camera.port)}/main?channel=1&${query}` },
    }));
    const w = await g.watch(playing);
    expect((await ffprobe(w.hls, { timeoutMs: 30_000 })).codec).toBe("h264");
    const pid = await waitFor("the ffmpeg of the camera", async () => {
      const r = (await g.health()).renditions.find((x) => x.cameraId === playing && x.state === "live");
      return typeof r?.pid === "number" ? r.pid : undefined;
    });
    // Put back at spawn only: ffmpeg's own argv (hidden from other users by ProtectProc= in the unit).
    const argv = readFileSync(`/proc/${String(pid)}/cmdline`, "utf8").split("\0");
    expect(argv).toContain(
      `rtsp://admin:${encodeURIComponent(queryCreds.password)}@127.0.0.1:${String(camera.port)}/main?channel=1&${query}`,
    );
  });

  it("are redacted from ffmpeg's stderr in health", async () => {
    const g = gw as TestGateway;
    ({ id: failing } = await g.addCamera({
      name: "Kamera Salah Alamat",
      source: { kind: "rtsp", url: `rtsp://127.0.0.1:${String(camera.port)}/nope?${query}` },
      alwaysOn: true,
    }));
    const stderr = await waitFor("ffmpeg's 404 in health", async () => {
      const r = (await g.health()).renditions.find((x) => x.cameraId === failing);
      const lines = (r?.stderr ?? []) as string[];
      return lines.some((l) => l.includes("404")) ? lines : undefined;
    });
    expect(stderr.join("\n")).toContain("password=***");
    expectNoSecret("health stderr", stderr.join("\n"));
  });

  it("a stream test with them in the URL passes, and its answer holds none", async () => {
    const g = gw as TestGateway;
    const r = await g.admin.post("/api/cameras/test", {
      url: `rtsp://127.0.0.1:${String(camera.port)}/sub?${query}`,
    });
    expect(r.status, r.text).toBe(200);
    expectNoSecret("camera test answer", r.text);
  });

  it("are never returned, audited, stored in the URL or logged", async () => {
    const g = gw as TestGateway;
    const one = await g.admin.get(`/api/cameras/${playing}`);
    expect(one.status).toBe(200);
    const source = (one.body as { source: { url: string; username?: string; hasPassword: boolean } }).source;
    expect(source).toMatchObject({
      url: `rtsp://127.0.0.1:${String(camera.port)}/main?channel=1&user=&password=`,
      username: "admin",
      hasPassword: true,
    });
    expectNoSecret("GET /api/cameras/:id", one.text);
    expectNoSecret("GET /api/cameras", (await g.admin.get("/api/cameras")).text);
    expectNoSecret("GET /api/audit", (await g.admin.get("/api/audit")).text);
    expectNoSecret("GET /api/health", (await g.admin.get("/api/health")).text);

    const db = new Database(join(dataDir, "pantau.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT source_json, password_enc FROM cameras WHERE id = ?").get(playing) as {
        source_json: string;
        password_enc: string | null;
      };
      expect(JSON.parse(row.source_json)).toEqual({
        url: `rtsp://127.0.0.1:${String(camera.port)}/main?channel=1&user=&password=`,
      });
      expect(row.password_enc).toMatch(/^v1\./);
    } finally {
      db.close();
    }
    const before = (await g.admin.expect(200, "GET", "/api/cameras/cam_stored_before")) as {
      source: { url: string; username?: string; hasPassword: boolean };
    };
    expect(before.source).toMatchObject({
      url: expect.stringMatching(/\?user=&password=$/),
      username: "admin",
      hasPassword: true,
    });
    expectNoSecret("every table of pantau.db", dbSnapshot(dataDir));
    const log = logLines.join("");
    expect(log).toContain("spawning ffmpeg");
    expectNoSecret("the gateway's log", log);
  });
});

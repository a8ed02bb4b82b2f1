import { describe, expect, it } from "vitest";
import type { AccessSnapshot } from "../../gateway/src/access/access-decision.js";
import type { Camera } from "../../gateway/src/cameras/camera.js";
import { HttpError } from "../../gateway/src/common/errors.js";
import { FrameGrabError } from "../../gateway/src/ffmpeg/frame-grab.js";
import {
  snapshotAuditRepeatMs,
  SnapshotService,
  type LiveFrames,
} from "../../gateway/src/health/snapshot.service.js";
import { createLogger } from "../../gateway/src/log/logger.js";
import { SnapshotFetchError } from "../../gateway/src/onvif/snapshot-client.js";
import { callerOf } from "../helpers/caller.js";

// The policy of the last picture with fakes for its sources: order, reuse, one taking per camera, the byte
// budget, and what is kept (or not) when a source fails.

const operator = callerOf({ role: "operator" });
const jpegOf = (n: number, size = 16) => {
  const b = Buffer.alloc(size, n);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  return b;
};

function cameraOf(id: string, over: Partial<Camera> = {}): Camera {
  return {
    id,
    schoolId: "sch_a",
    classroomId: null,
    name: id,
    source: { kind: "rtsp", url: "rtsp://10.0.0.5/main", username: "admin", password: "pw" },
    onvif: null,
    videoCodec: "h264",
    audio: false,
    alwaysOn: false,
    enabled: true,
    demo: false,
    publishGeneration: 0,
    createdAt: "",
    updatedAt: "",
    ...over,
  };
}

const onvifBinding = {
  deviceServiceUrl: "http://10.0.0.5/onvif/device_service",
  deviceUuid: null,
  profile: "Profile_1",
  subProfile: null,
  identity: null,
};

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function world(
  cams: Camera[],
  o: { cacheBytes?: number; maxAgeMs?: number; maxConcurrentDecodes?: number } = {},
) {
  let t = 1_700_000_000_000;
  const byId = new Map(cams.map((c) => [c.id, c]));
  const calls = { decode: 0, snapshotUri: 0, fetch: 0 };
  const gops = new Map<string, Buffer[]>();
  let decode: () => Promise<Buffer> = () => Promise.resolve(jpegOf(1));
  let fetch: (url: string) => Promise<Buffer> = () => Promise.resolve(jpegOf(2));
  let snapshotUri: () => Promise<string | null> = () => Promise.resolve("http://10.0.0.5/snap.jpg");
  const audited: { action: string; targetId?: string; actor: { id: string | null } }[] = [];
  const live: LiveFrames = {
    gop: (id) => gops.get(id),
    decode: () => {
      calls.decode++;
      return decode();
    },
  };
  const service = new SnapshotService(
    { get: (id: string) => byId.get(id) },
    { snapshot: () => ({ classrooms: new Map() }) as unknown as AccessSnapshot },
    { record: (e) => audited.push(e) },
    live,
    {
      inspector: {
        snapshotUri: () => {
          calls.snapshotUri++;
          return snapshotUri();
        },
      },
      client: {
        fetch: (url) => {
          calls.fetch++;
          return fetch(url);
        },
      },
    },
    {
      maxAgeMs: o.maxAgeMs ?? 10_000,
      cacheBytes: o.cacheBytes ?? 1024,
      maxConcurrentDecodes: o.maxConcurrentDecodes ?? 2,
    },
    createLogger("silent"),
    () => t,
  );
  return {
    service,
    calls,
    gops,
    audited,
    advance: (ms: number) => (t += ms),
    set decode(f: () => Promise<Buffer>) {
      decode = f;
    },
    set fetch(f: (url: string) => Promise<Buffer>) {
      fetch = f;
    },
    set snapshotUri(f: () => Promise<string | null>) {
      snapshotUri = f;
    },
  };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (e: unknown) => (e instanceof HttpError ? `${String(e.status)} ${e.code}` : String(e)),
  );

describe("SnapshotService", () => {
  it("takes a live frame when a rendition runs, before asking the camera", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })]);
    w.gops.set("cam_1", [Buffer.from("init"), Buffer.from("gop")]);
    const s = await w.service.get(operator, "cam_1");
    expect(s).toMatchObject({ source: "live", takenAt: 1_700_000_000_000 });
    expect(w.calls).toEqual({ decode: 1, snapshotUri: 0, fetch: 0 });
  });

  it("falls back to ONVIF when the live frame fails, and asks the snapshot URI once", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })], { maxAgeMs: 0 });
    w.gops.set("cam_1", [Buffer.from("init")]);
    w.decode = () => Promise.reject(new FrameGrabError("failed", "ffmpeg exited 1"));
    expect((await w.service.get(operator, "cam_1")).source).toBe("onvif");
    w.advance(1);
    expect((await w.service.get(operator, "cam_1")).source).toBe("onvif");
    expect(w.calls).toEqual({ decode: 2, snapshotUri: 1, fetch: 2 });
  });

  it("decodes at most maxConcurrentDecodes frames at once, 4× more wait, beyond that busy (503)", async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `cam_${String(i)}`);
    const w = world(
      ids.map((id) => cameraOf(id)),
      { maxConcurrentDecodes: 1 },
    );
    for (const id of ids) w.gops.set(id, [Buffer.from("init")]);
    const pending: ((b: Buffer) => void)[] = [];
    w.decode = () => new Promise((resolve) => pending.push(resolve));
    const all = ids.map((id) => codeOf(w.service.get(operator, id)));
    await new Promise((r) => setImmediate(r));
    expect(pending).toHaveLength(1);
    while (pending.length > 0) {
      pending.shift()?.(jpegOf(1));
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(all)).toEqual([...Array(5).fill("resolved"), "503 busy"]);
    expect(w.calls.decode).toBe(5);
  });

  it("reuses a young picture and takes a new one once it is older than the setting", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })]);
    const first = await w.service.get(operator, "cam_1");
    w.advance(9_999);
    expect((await w.service.get(operator, "cam_1")).takenAt).toBe(first.takenAt);
    w.advance(1);
    expect((await w.service.get(operator, "cam_1")).takenAt).toBe(first.takenAt + 10_000);
    expect(w.calls.fetch).toBe(2);
  });

  it("concurrent requests share one taking", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })]);
    const d = deferred<Buffer>();
    w.fetch = () => d.promise;
    const all = Promise.all([1, 2, 3, 4].map(() => w.service.get(operator, "cam_1")));
    await new Promise((r) => setImmediate(r));
    d.resolve(jpegOf(7));
    const got = await all;
    expect(w.calls.fetch).toBe(1);
    expect(got.every((g) => g.jpeg.equals(jpegOf(7)))).toBe(true);
  });

  it("a failed fetch keeps nothing, asks the URI again next time, and serves the older picture it has", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })], { maxAgeMs: 0 });
    w.fetch = () => Promise.reject(new SnapshotFetchError("timeout", "no whole picture in time"));
    expect(await codeOf(w.service.get(operator, "cam_1"))).toBe("504 snapshot_timeout");
    w.fetch = () => Promise.reject(new SnapshotFetchError("bad_reply", "not a JPEG"));
    expect(await codeOf(w.service.get(operator, "cam_1"))).toBe("502 snapshot_failed");
    expect(w.calls.snapshotUri).toBe(2);
    w.fetch = () => Promise.resolve(jpegOf(3));
    const good = await w.service.get(operator, "cam_1");
    w.advance(60_000);
    w.fetch = () => Promise.reject(new SnapshotFetchError("unreachable", "ECONNREFUSED"));
    expect(await w.service.get(operator, "cam_1")).toMatchObject({ takenAt: good.takenAt });
  });

  it("a camera without live video or ONVIF (or whose camera names no snapshot URI) is 404 snapshot_unavailable", async () => {
    const w = world([cameraOf("cam_rtsp"), cameraOf("cam_nouri", { onvif: onvifBinding })]);
    w.snapshotUri = () => Promise.resolve(null);
    expect(await codeOf(w.service.get(operator, "cam_rtsp"))).toBe("404 snapshot_unavailable");
    expect(await codeOf(w.service.get(operator, "cam_nouri"))).toBe("404 snapshot_unavailable");
    expect(await codeOf(w.service.get(operator, "cam_nouri"))).toBe("404 snapshot_unavailable");
    expect(w.calls).toEqual({ decode: 0, snapshotUri: 1, fetch: 0 });
  });

  it("a disabled camera is not contacted", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding, enabled: false })]);
    w.gops.set("cam_1", [Buffer.from("init")]);
    expect(await codeOf(w.service.get(operator, "cam_1"))).toBe("404 snapshot_unavailable");
    expect(w.calls).toEqual({ decode: 0, snapshotUri: 0, fetch: 0 });
  });

  it("refuses a camera the caller may not see, or that does not exist, as not found", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })]);
    const other = callerOf({ role: "school_admin", schoolId: "sch_b" });
    expect(await codeOf(w.service.get(other, "cam_1"))).toBe("404 not_found");
    expect(await codeOf(w.service.get(operator, "cam_none"))).toBe("404 not_found");
    expect(w.calls.fetch).toBe(0);
  });

  it("keeps pictures within the byte budget, the oldest going first", async () => {
    const w = world(
      ["cam_1", "cam_2", "cam_3"].map((id) => cameraOf(id, { onvif: onvifBinding })),
      { cacheBytes: 250, maxAgeMs: 60_000 },
    );
    w.fetch = () => Promise.resolve(jpegOf(9, 100));
    for (const id of ["cam_1", "cam_2", "cam_3"]) {
      await w.service.get(operator, id);
      w.advance(1);
    }
    expect(w.service.memoryBytes).toBe(200);
    // cam_1 went to make room: asked again; cam_3 is still kept.
    await w.service.get(operator, "cam_3");
    expect(w.calls.fetch).toBe(3);
    await w.service.get(operator, "cam_1");
    expect(w.calls.fetch).toBe(4);
    expect(w.service.memoryBytes).toBe(200);
  });

  it("a picture larger than the whole budget is served but not kept", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })], { cacheBytes: 50 });
    w.fetch = () => Promise.resolve(jpegOf(9, 100));
    expect((await w.service.get(operator, "cam_1")).jpeg.length).toBe(100);
    expect(w.service.memoryBytes).toBe(0);
  });

  it("forget() drops the kept picture, and a taking under way when the camera changed keeps nothing", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })]);
    await w.service.get(operator, "cam_1");
    w.service.forget("cam_1");
    expect(w.service.memoryBytes).toBe(0);
    const d = deferred<Buffer>();
    w.fetch = () => d.promise;
    const taking = w.service.get(operator, "cam_1");
    await new Promise((r) => setImmediate(r));
    w.service.forget("cam_1");
    d.resolve(jpegOf(5));
    expect((await taking).jpeg.equals(jpegOf(5))).toBe(true);
    expect(w.service.memoryBytes).toBe(0);
  });

  it("audits a person's sight of a camera once per snapshotAuditRepeatMs, whatever the pictures", async () => {
    const w = world([cameraOf("cam_1", { onvif: onvifBinding })], { maxAgeMs: 0 });
    const admin = callerOf({ role: "school_admin", schoolId: "sch_a" });
    await w.service.get(operator, "cam_1");
    w.advance(1000);
    await w.service.get(operator, "cam_1");
    await w.service.get(admin, "cam_1");
    w.advance(snapshotAuditRepeatMs - 1000);
    await w.service.get(operator, "cam_1");
    expect(w.calls.fetch).toBe(4);
    expect(w.audited.map((e) => [e.action, e.targetId, e.actor.id])).toEqual([
      ["camera.snapshot", "cam_1", operator.user.id],
      ["camera.snapshot", "cam_1", admin.user.id],
      ["camera.snapshot", "cam_1", operator.user.id],
    ]);
  });
});

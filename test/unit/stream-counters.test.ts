import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import type { Camera } from "../../gateway/src/cameras/camera.js";
import type { CameraRepository } from "../../gateway/src/cameras/camera.repository.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";
import { AllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { NetworkGuard } from "../../gateway/src/net/network-guard.js";
import { StreamManager } from "../../gateway/src/streaming/stream-manager.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";
import { fmp4Fixture, readAll } from "../helpers/fmp4-fixtures.js";

// StreamManager.counters(): per-camera totals for /metrics that must survive a rendition's stop and start,
// ffmpeg restarts and a disable/enable (counters that fell back to 0 would read as a gateway restart).

let init: Buffer;
let fragments: Buffer[];

beforeAll(() => {
  const read = readAll(fmp4Fixture("h264-high-l30-3s").bytes);
  init = read.inits[0]!.data;
  fragments = read.fragments.map((f) => f.data);
});

const camera = (over: Partial<Camera> = {}): Camera => ({
  id: "cam_1",
  schoolId: "sch_1",
  classroomId: null,
  name: "Kelas 1A",
  source: { kind: "test-pattern" },
  onvif: null,
  videoCodec: null,
  audio: false,
  alwaysOn: false,
  enabled: true,
  demo: false,
  publishGeneration: 0,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...over,
});

function setup(cams: Camera[]) {
  const byId = new Map(cams.map((c) => [c.id, c]));
  // The three calls the manager makes of its repository.
  const repo = {
    list: () => [...byId.values()],
    get: (id: string) => byId.get(id),
    setVideoCodec: () => undefined,
  } as unknown as CameraRepository;
  const config = parseConfig({});
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const network = new NetworkGuard(AllowedNetworks.parse(["127.0.0.0/8"]));
  const manager = new StreamManager(repo, spawner, clock, pino({ level: "silent" }), {
    streaming: config.streaming,
    ffmpeg: config.ffmpeg,
    network,
  });
  const counters = (id = "cam_1") => manager.counters().find((c) => c.cameraId === id);
  const feed = async (...chunks: Buffer[]) => {
    for (const c of chunks) spawner.last.stdout.write(c);
    await flush();
  };
  return { byId, clock, spawner, manager, counters, feed };
}

describe("StreamManager.counters", () => {
  it("counts ingest bytes, reconnects and the last fragment across runs, stops and a disable", async () => {
    const { byId, clock, spawner, manager, counters, feed } = setup([camera()]);
    expect(counters()).toBeUndefined(); // no rendition yet: nothing to count
    const r = manager.get("cam_1", "main");
    r?.acquire();
    await feed(init, fragments[0] as Buffer);
    const first = init.length + (fragments[0] as Buffer).length;
    expect(counters()).toMatchObject({ ingestBytes: first, reconnects: 0, lastFragmentAt: clock.now() });

    // ffmpeg exits (an RTSP timeout): backoff, then a reconnect.
    spawner.last.exit(0);
    clock.advance(1200); // the first backoff step, 1 s ± 20 % jitter
    expect(spawner.children).toHaveLength(2);
    expect(counters()?.reconnects).toBe(1);
    clock.advance(500);
    await feed(init, fragments[1] as Buffer);
    const second = first + init.length + (fragments[1] as Buffer).length;
    expect(counters()).toMatchObject({ ingestBytes: second, reconnects: 1, lastFragmentAt: clock.now() });

    // An edit restarts ffmpeg at once: not a reconnect.
    const edited = camera({ audio: true });
    byId.set("cam_1", edited);
    void manager.cameraChanged("cam_1", edited);
    spawner.last.exit(null, "SIGTERM");
    expect(spawner.children).toHaveLength(3);
    expect(counters()?.reconnects).toBe(1);

    // Stopped (no viewer) and started again: the same totals go on.
    const stopped = r?.stop();
    spawner.last.exit(null, "SIGTERM");
    await stopped;
    const lastAt = clock.now();
    clock.advance(60_000);
    expect(counters()).toMatchObject({ ingestBytes: second, reconnects: 1, lastFragmentAt: lastAt });
    r?.acquire();
    await feed(init);
    expect(counters()?.ingestBytes).toBe(second + init.length);

    // Disabled: the rendition goes, the totals stay; enabled again, a new rendition adds to them.
    const disabled = camera({ enabled: false });
    byId.set("cam_1", disabled);
    const gone = manager.cameraChanged("cam_1", disabled);
    spawner.last.exit(null, "SIGTERM");
    await gone;
    expect(manager.renditionsOf("cam_1")).toEqual([]);
    expect(counters()?.ingestBytes).toBe(second + init.length);
    byId.set("cam_1", camera());
    await manager.cameraChanged("cam_1", camera());
    manager.get("cam_1", "main")?.acquire();
    await feed(init);
    expect(counters()).toMatchObject({ ingestBytes: second + 2 * init.length, reconnects: 1 });

    // Deleted: the camera's counters disappear with it.
    byId.delete("cam_1");
    const deleted = manager.cameraChanged("cam_1", undefined);
    spawner.last.exit(null, "SIGTERM");
    await deleted;
    expect(counters()).toBeUndefined();
  });

  it("counts viewers by protocol per camera: a session on both renditions once, sockets each", () => {
    const rtsp = camera({
      id: "cam_2",
      source: { kind: "rtsp", url: "rtsp://127.0.0.1:8554/main", subUrl: "rtsp://127.0.0.1:8554/sub" },
    });
    const { clock, manager, counters } = setup([camera(), rtsp]);
    const main = manager.get("cam_2", "main");
    const sub = manager.get("cam_2", "sub");
    main?.touchHls("sid-a");
    sub?.touchHls("sid-a"); // hls.js switching variants: still one viewer
    sub?.touchHls("sid-b");
    manager.get("cam_1", "main")?.wsOpened();
    manager.get("cam_1", "main")?.wsOpened();
    expect(counters("cam_2")?.viewers).toEqual({ hls: 2, ws: 0 });
    expect(counters("cam_1")?.viewers).toEqual({ hls: 0, ws: 2 });
    manager.get("cam_1", "main")?.wsClosed();
    expect(counters("cam_1")?.viewers).toEqual({ hls: 0, ws: 1 });
    // An LL-HLS session not heard from for 10 s has left.
    clock.advance(10_001);
    expect(counters("cam_2")?.viewers).toEqual({ hls: 0, ws: 0 });
  });
});

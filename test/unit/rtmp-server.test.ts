import { describe, expect, it } from "vitest";
import { RtmpServer } from "../../gateway/src/ingest/rtmp-server.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";
import { memoryLog } from "../helpers/memory-log.js";

const key = Buffer.alloc(32, 9);

function setup() {
  const spawner = new FakeSpawner();
  const clock = new FakeClock();
  const lines: string[] = [];
  const log = memoryLog(lines);
  // What the cameras table says; a test changes it as a rotation would.
  const generations: Record<string, number> = { cam_a: 0, cam_b: 2 };
  const server = new RtmpServer(spawner, clock, log, {
    host: "0.0.0.0",
    port: 0,
    key,
    generations: () => ({ ...generations }),
    random: () => 0.5,
  });
  const say = async (e: object) => {
    spawner.last.stdout.write(JSON.stringify(e) + "\n");
    await flush();
  };
  return { spawner, clock, lines, server, say, generations };
}

describe("RtmpServer (the RTMP child's supervisor)", () => {
  it("starts once the child listens, and knows who pushes", async () => {
    const { spawner, server, say, lines } = setup();
    const started = server.start();
    expect(spawner.last.args.join(" ")).not.toContain(key.toString("base64"));
    await say({ event: "listening", port: 41935 });
    await expect(started).resolves.toBe(41935);
    expect(server.pullUrl("cam_a")).toBe("rtmp://127.0.0.1:41935/live/cam_a");
    await say({ event: "publish", cameraId: "cam_a", address: "10.0.0.5" });
    expect(server.isPublishing("cam_a")).toBe(true);
    await say({ event: "unpublish", cameraId: "cam_a" });
    expect(server.isPublishing("cam_a")).toBe(false);
    await say({
      event: "refused",
      action: "publish",
      reason: "bad_signature",
      path: "/live/cam_b",
      address: "10.0.0.6",
    });
    expect(lines.join("")).toContain("publish /live/cam_b from 10.0.0.6 refused: bad_signature");
  });

  it("fails the start when the first child cannot listen", async () => {
    const { spawner, server, say } = setup();
    const started = server.start();
    await say({ event: "error", message: "RTMP listen on 0.0.0.0:1935: listen EADDRINUSE" });
    spawner.last.exit(1);
    await expect(started).rejects.toThrow(/EADDRINUSE/);
  });

  it("restarts a child that died with growing delays, on the port the first run got", async () => {
    const { spawner, clock, server, say } = setup();
    const started = server.start();
    await say({ event: "listening", port: 41935 });
    await started;
    await say({ event: "publish", cameraId: "cam_a", address: "10.0.0.5" });
    spawner.last.exit(null, "SIGKILL");
    // Nobody can be pushing to a dead listener.
    expect(server.isPublishing("cam_a")).toBe(false);
    expect(server.listening).toBe(false);
    clock.advance(999);
    expect(spawner.children).toHaveLength(1);
    clock.advance(1);
    expect(spawner.children).toHaveLength(2);
    spawner.last.exit(1);
    clock.advance(1999);
    expect(spawner.children).toHaveLength(2);
    clock.advance(1);
    expect(spawner.children).toHaveLength(3);
    await say({ event: "listening", port: 41935 });
    expect(server.listening).toBe(true);
  });

  it("tells the child every pushed camera's generation at each start, and each change between", async () => {
    const { spawner, clock, server, say, lines, generations } = setup();
    const started = server.start();
    await say({ event: "listening", port: 41935 });
    await started;
    await flush();
    const [settings] = spawner.last.stdinJson() as { key: string; generations: unknown }[];
    expect(settings?.key).toBe(key.toString("base64"));
    expect(settings?.generations).toEqual({ cam_a: 0, cam_b: 2 });
    server.setGeneration("cam_a", 1);
    server.setGeneration("cam_b", null);
    await flush();
    expect(spawner.last.stdinJson().slice(1)).toEqual([
      { cameraId: "cam_a", generation: 1 },
      { cameraId: "cam_b", generation: null },
    ]);
    await say({ event: "cut", cameraId: "cam_a", address: "10.0.0.5", reason: "revoked" });
    expect(lines.join("")).toContain("[cam cam_a] push from 10.0.0.5 cut: revoked");
    // A change while the child is down is not lost: the next child reads the table afresh.
    spawner.last.exit(null, "SIGKILL");
    server.setGeneration("cam_a", 2);
    generations.cam_a = 2;
    delete generations.cam_b;
    clock.advance(1000);
    expect(spawner.children).toHaveLength(2);
    await flush();
    const [again] = spawner.last.stdinJson() as { generations: unknown }[];
    expect(again?.generations).toEqual({ cam_a: 2 });
  });

  it("closes with SIGTERM, then SIGKILL after 5 s, and restarts nothing after", async () => {
    const { spawner, clock, server, say } = setup();
    const started = server.start();
    await say({ event: "listening", port: 41935 });
    await started;
    const child = spawner.last;
    const closed = server.close();
    expect(child.signals).toEqual(["SIGTERM"]);
    clock.advance(5000);
    expect(child.signals).toEqual(["SIGTERM", "SIGKILL"]);
    child.exit(null, "SIGKILL");
    await closed;
    clock.advance(120_000);
    expect(spawner.children).toHaveLength(1);
  });
});

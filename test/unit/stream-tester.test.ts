import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { explanations, measureVideo } from "../../gateway/src/cameras/stream-test-result.js";
import { StreamTester, probeDeadlineMs, testStream } from "../../gateway/src/cameras/stream-tester.js";
import type { Logger } from "../../gateway/src/log/logger.js";
import { AllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { NetworkGuard } from "../../gateway/src/net/network-guard.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";

const video = JSON.stringify({
  streams: [{ codec_type: "video", codec_name: "h264", width: 1280, height: 720, avg_frame_rate: "25/1" }],
});

function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const write = (msg: string) => lines.push(msg);
  return { log: { info: write, warn: write, debug: write } as unknown as Logger, lines };
}

beforeEach(() => {
  // Only timers and the clock: stream 'data' events still need a real setImmediate (flush).
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("testStream", () => {
  it("runs ffprobe once, without a shell, and reads the streams it printed", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream(
      { url: "rtsp://10.0.0.5/main", username: "admin", password: "Rahasia-123" },
      { spawner, ffprobePath: "/usr/bin/ffprobe", timeoutSeconds: 3, now: Date.now },
    );
    const child = spawner.last;
    expect(child.args.at(-1)).toBe("rtsp://admin:Rahasia-123@10.0.0.5/main");
    expect(child.args).toContain("3000000");
    child.stdout.write(video);
    await flush();
    child.exit(0);
    expect(await pending).toEqual({
      ok: true,
      video: { codec: "h264", width: 1280, height: 720, fps: 25 },
      audio: null,
      needsTranscode: false,
    });
  });

  it("takes credentials out of the URL; ones given beside it win", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream(
      { url: "rtsp://old:old-pass@10.0.0.5/main", password: "new-pass" },
      { spawner },
    );
    expect(spawner.last.args.at(-1)).toBe("rtsp://old:new-pass@10.0.0.5/main");
    spawner.last.exit(1);
    expect(await pending).toMatchObject({ ok: false });
  });

  it("refuses another scheme without starting a process", async () => {
    const spawner = new FakeSpawner();
    for (const url of ["http://10.0.0.5/snapshot.jpg", "file:///etc/passwd", "not a url"]) {
      expect(await testStream({ url }, { spawner })).toMatchObject({
        ok: false,
        code: "not_rtsp",
        messages: explanations.notRtsp,
      });
    }
    expect(spawner.children).toHaveLength(0);
  });

  it("kills a probe at its deadline and calls it a timeout", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream(
      { url: "rtsp://10.0.0.5/main" },
      { spawner, timeoutSeconds: 2, now: Date.now },
    );
    vi.advanceTimersByTime(probeDeadlineMs(2) - 1);
    expect(spawner.last.signals).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
    expect(await pending).toMatchObject({ ok: false, code: "timeout", messages: explanations.timeout(2) });
  });

  it("kills a probe that prints more than a camera's streams ever take", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream({ url: "rtsp://10.0.0.5/main" }, { spawner });
    spawner.last.stdout.write(Buffer.alloc(70 * 1024, 0x20));
    await flush();
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
    expect(await pending).toMatchObject({ ok: false, code: "stream_error", detail: "too much output" });
  });

  it("keeps the password out of the result and the log, however ffprobe printed it", async () => {
    const spawner = new FakeSpawner();
    const { log, lines } = memoryLog();
    const password = "p@ss:w/rd";
    const pending = testStream(
      { url: "rtsp://10.0.0.5/main", username: "admin", password },
      { spawner, log },
    );
    spawner.last.stderr.write(
      "[rtsp @ 0x1] odd reply mentioning p@ss:w/rd\nrtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5/main: Unknown error\n",
    );
    await flush();
    spawner.last.exit(1);
    const result = await pending;
    expect(result).toMatchObject({ ok: false, code: "stream_error", detail: "odd reply mentioning ***" });
    const said = JSON.stringify(result) + lines.join("\n");
    expect(said).not.toContain(password);
    expect(said).not.toContain(encodeURIComponent(password));
    expect(lines).toEqual([
      expect.stringMatching(/^\[stream test\] rtsp:\/\/10\.0\.0\.5\/main as admin → stream_error/),
    ]);
  });

  it("rejects when ffprobe cannot start (not installed): a gateway fault, not the camera's", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream({ url: "rtsp://10.0.0.5/main" }, { spawner });
    spawner.last.fail(new Error("spawn ffprobe ENOENT"));
    await expect(pending).rejects.toThrow(/ffprobe could not start: spawn ffprobe ENOENT/);
  });
});

/** Packets as ffprobe 5.1 printed them for the GStreamer test camera (25 fps): the first has no time yet. */
function packets(fps: number, seconds: number, size: number, stream = 0) {
  const list: Record<string, unknown>[] = [{ stream_index: stream, size: String(size) }];
  for (let i = 1; i <= fps * seconds; i++) {
    const t = (i / fps).toFixed(6);
    list.push({ stream_index: stream, pts_time: t, dts_time: t, size: String(size) });
  }
  return list;
}

describe("measureVideo", () => {
  it("counts frames over the span of their timestamps, and the bits sent in it", () => {
    // 25 fps of 5000-byte frames is 1000 kbit/s.
    expect(measureVideo(packets(25, 2, 5000), 0)).toEqual({
      fps: 25,
      bitrateKbps: 1000,
      seconds: 1.96,
      frames: 50,
    });
  });

  it("sees the frames a camera drops, whatever its SDP declares", () => {
    const everyOther = packets(25, 2, 5000).filter((_p, i) => i % 2 === 1);
    expect(measureVideo(everyOther, 0)).toMatchObject({ fps: 12.5, bitrateKbps: 500 });
  });

  it("counts only the video stream's packets, in time order", () => {
    const mixed = [...packets(10, 2, 1000, 1), ...packets(20, 2, 2000, 0).reverse()];
    expect(measureVideo(mixed, 0)).toMatchObject({ fps: 20, bitrateKbps: 320 });
  });

  it("says nothing with fewer than two timed packets or no span", () => {
    expect(measureVideo([], 0)).toBeUndefined();
    expect(
      measureVideo(
        [
          { stream_index: 0, size: "10" },
          { stream_index: 0, pts_time: "1.0" },
        ],
        0,
      ),
    ).toBeUndefined();
    expect(
      measureVideo(
        [
          { stream_index: 0, pts_time: "1.0", size: "10" },
          { stream_index: 0, pts_time: "1.0", size: "10" },
        ],
        0,
      ),
    ).toBeUndefined();
  });

  it("testStream asks ffprobe to read the stream for measureSeconds and reports what it counted", async () => {
    const spawner = new FakeSpawner();
    const pending = testStream({ url: "rtsp://10.0.0.5/main" }, { spawner, measureSeconds: 2 });
    expect(spawner.last.args).toContain("%+2");
    spawner.last.stdout.write(
      JSON.stringify({
        packets: packets(25, 2, 5000),
        streams: [
          {
            index: 0,
            codec_type: "video",
            codec_name: "h264",
            width: 640,
            height: 360,
            avg_frame_rate: "25/1",
          },
        ],
      }),
    );
    await flush();
    spawner.last.exit(0);
    expect(await pending).toMatchObject({
      ok: true,
      video: { fps: 25, measured: { fps: 25, bitrateKbps: 1000, frames: 50 } },
    });
  });

  it("gives a measuring probe its extra seconds before the deadline", () => {
    const spawner = new FakeSpawner();
    void testStream({ url: "rtsp://10.0.0.5/main" }, { spawner, timeoutSeconds: 2, measureSeconds: 3 });
    vi.advanceTimersByTime(probeDeadlineMs(2) + 2999);
    expect(spawner.last.signals).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
  });
});

describe("StreamTester", () => {
  const options = {
    ffprobePath: "ffprobe",
    network: new NetworkGuard(AllowedNetworks.parse(["10.0.0.0/8"]), { interfaces: () => ({}) }),
    timeoutSeconds: 5,
    maxConcurrent: 2,
    maxQueued: 1,
  };

  it("runs at most maxConcurrent probes, queues maxQueued, and answers busy beyond", async () => {
    const spawner = new FakeSpawner();
    const tester = new StreamTester(spawner, memoryLog().log, options);
    const input = { url: "rtsp://10.0.0.5/main" };
    const first = tester.test(input);
    const second = tester.test(input);
    const third = tester.test(input);
    expect(await tester.test(input)).toEqual({ ok: false, code: "busy", messages: explanations.busy });
    await flush();
    expect(spawner.children).toHaveLength(2);

    spawner.children[0]?.stdout.write(video);
    await flush();
    spawner.children[0]?.exit(0);
    expect((await first).ok).toBe(true);
    await flush();
    expect(spawner.children).toHaveLength(3);
    spawner.children[1]?.exit(1);
    spawner.children[2]?.exit(1);
    expect((await second).ok).toBe(false);
    expect((await third).ok).toBe(false);
  });

  it("kills running probes when the gateway closes", async () => {
    const spawner = new FakeSpawner();
    const tester = new StreamTester(spawner, memoryLog().log, options);
    const running = tester.test({ url: "rtsp://10.0.0.5/main" });
    await flush();
    tester.close();
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
    await expect(running).rejects.toThrow(/gateway closing/);
    await expect(tester.test({ url: "rtsp://10.0.0.5/main" })).rejects.toThrow(/gateway closing/);
    expect(spawner.children).toHaveLength(1);
  });
});

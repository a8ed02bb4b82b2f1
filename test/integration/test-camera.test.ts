import { spawn, type ChildProcessByStdio } from "node:child_process";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clockDeltaMs, decodeClockBlocks } from "../../viewer/src/clock-blocks.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The GStreamer test camera against real ffprobe/ffmpeg: what every other integration test,
// e2e test and benchmark relies on it for.

type Child = ChildProcessByStdio<Writable | null, Readable, Readable>;

const children = new Set<Child>();

function track<T extends Child>(child: T): T {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

afterEach(async () => {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
});

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  const child = track(spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] }));
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    }),
  );
}

interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  r_frame_rate: string;
}

async function probe(url: string): Promise<ProbedStream> {
  const r = await run("ffprobe", [
    ...["-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0"],
    ...["-show_entries", "stream=codec_name,width,height,r_frame_rate", "-of", "json", url],
  ]);
  if (r.code !== 0) throw new Error(`ffprobe ${url} failed (${String(r.code)}): ${r.stderr}`);
  const streams = (JSON.parse(r.stdout.toString("utf8")) as { streams: ProbedStream[] }).streams;
  expect(streams).toHaveLength(1);
  return streams[0]!;
}

async function grabRgba(url: string, width: number, height: number): Promise<Uint8Array> {
  const r = await run("ffmpeg", [
    ...["-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url],
    ...["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1"],
  ]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.length).toBe(width * height * 4);
  return new Uint8Array(r.stdout);
}

/** Resolves with the first item `subscribe` delivers that `pick` accepts. */
function waitForItem<T>(
  what: string,
  subscribe: (push: (item: T) => void) => void,
  pick: (item: T) => boolean,
  context: () => string = () => "",
  timeoutMs = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`timed out waiting for ${what} ${context()}`));
    }, timeoutMs);
    subscribe((item) => {
      if (done || !pick(item)) return;
      done = true;
      clearTimeout(timer);
      resolve(item);
    });
  });
}

describe("test camera", () => {
  let camera: TestCamera;

  beforeAll(async () => {
    camera = await startTestCamera();
  });

  afterAll(async () => {
    await camera.stop();
  });

  it("serves live H.264 at 640x360 on /main and 320x180 on /sub, 25 fps", async () => {
    const [main, sub] = await Promise.all([probe(camera.url("main")), probe(camera.url("sub"))]);
    expect(main).toEqual({ codec_name: "h264", width: 640, height: 360, r_frame_rate: "25/1" });
    expect(sub).toEqual({ codec_name: "h264", width: 320, height: 180, r_frame_rate: "25/1" });
  });

  it.each([
    ["main", 640, 360],
    ["sub", 320, 180],
  ] as const)("stamps the wall clock into every frame of /%s", async (mount, width, height) => {
    // The stamp is the wall clock of a frame made while ffmpeg was connected (it decodes from the first
    // keyframe, at most a 1 s GOP after the connection), however long a loaded machine took to grab it.
    const before = Date.now();
    const rgba = await grabRgba(camera.url(mount), width, height);
    const after = Date.now();
    const stamp = decodeClockBlocks(rgba, width, height);
    expect(stamp).not.toBeNull();
    expect(clockDeltaMs(after, stamp!)).toBeGreaterThanOrEqual(0);
    expect(clockDeltaMs(before, stamp!)).toBeLessThanOrEqual(1000);
  });

  it("jumpBack makes the RTP timestamps a client sees step back, while frames keep coming", async () => {
    const child = track(
      spawn(
        "ffprobe",
        [
          ...["-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0"],
          ...["-show_entries", "packet=pts_time", "-of", "csv=p=0", camera.url("main")],
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      ),
    );
    const pts: number[] = [];
    const listeners: ((index: number) => void)[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      // Once RTCP arrives csv adds side data: a trailing comma and blank lines. The first
      // packet has no timestamp ("N/A").
      const p = Number.parseFloat(line);
      if (Number.isNaN(p)) return;
      pts.push(p);
      for (const l of listeners) l(pts.length - 1);
    });
    const packets = (push: (index: number) => void) => listeners.push(push);

    // Jump within the stream's first seconds, so the camera (usually) has to wrap RTP time rather
    // than push running time below zero, the harder of its two paths.
    await waitForItem("1 s of stream", packets, (i) => pts[i]! >= 1);
    camera.jumpBack(5000);
    const back = await waitForItem("a packet 4.8 s back", packets, (i) => pts[i]! < pts[i - 1]! - 4.8);
    expect(pts[back]! - pts[back - 1]!).toBeCloseTo(-4.96, 2); // 5 s back, one frame on
    await waitForItem(
      "a second more after the jump",
      packets,
      (i) => pts[i]! >= pts[back]! + 1,
      () => `(pts: ${pts.slice(-40).join(" ")})`,
    );
    const later = pts.slice(back);
    for (let i = 1; i < later.length; i++) expect(later[i]! - later[i - 1]!).toBeCloseTo(0.04, 3);
  });

  it("documents ffmpeg's fMP4 remux across a 3 s jump back: it keeps writing, on a frozen timeline", async () => {
    // What the rendition supervisor sees: ffmpeg neither exits nor goes silent. For as long as the
    // jump, it clamps each frame's DTS to the previous + 1 tick ("Non-monotonous DTS"), so fragments
    // come only at keyframes (frag_duration never fills) and the output timeline stands still;
    // then 200 ms fragments on a normal timeline resume.
    // Regression: this counted fragments that arrived inside wall-clock windows around the jump, and a
    // loaded machine delivered 4 in a window that allowed 3. It now reads the fragments themselves.
    const jumpMs = 3000;
    const gop = 25; // the camera's default: 25 fps, a keyframe every second
    const frameS = 1 / 25;
    const child = track(
      spawn(
        "ffmpeg",
        [
          ...["-nostdin", "-v", "warning", "-rtsp_transport", "tcp", "-i", camera.url("main")],
          ...["-an", "-c:v", "copy", "-f", "mp4"],
          ...["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-frag_duration", "200000"],
          "pipe:1",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      ),
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const fragments: Fragment[] = [];
    const listeners: ((f: Fragment) => void)[] = [];
    readFragments(child.stdout, (f) => {
      fragments.push(f);
      for (const l of listeners) l(f);
    });
    const onFragment = (push: (f: Fragment) => void) => listeners.push(push);
    // A fragment lasts until the next one starts; frames beyond its duration / 40 ms were clamped.
    const durationS = (i: number) => fragments[i + 1]!.decodeTimeS - fragments[i]!.decodeTimeS;
    const clampedFrames = (i: number) => fragments[i]!.samples - Math.round(durationS(i) / frameS);

    // Late enough that the camera's negative-offset path runs (the stream is older than the jump).
    await waitForItem("4.5 s of fragments", onFragment, (f) => f.decodeTimeS >= 4.5);
    const jumpIndex = fragments.length;
    camera.jumpBack(jumpMs);
    const lastClamped = () => {
      for (let i = fragments.length - 2; i >= jumpIndex; i--) if (clampedFrames(i) > 0) return i;
      return -1;
    };
    await waitForItem(
      "ten fragments after the clamped ones",
      onFragment,
      () => lastClamped() >= 0 && fragments.length - lastClamped() > 11,
      () =>
        `(samples since the jump: ${fragments
          .slice(jumpIndex)
          .map((f) => f.samples)
          .join(" ")})`,
    );
    expect(child.exitCode).toBeNull();

    const decodeTimes = fragments.map((f) => f.decodeTimeS);
    expect(decodeTimes).toEqual([...decodeTimes].sort((a, b) => a - b)); // never goes back
    // Never silent for more than a GOP: every fragment ends at the next keyframe at the latest.
    expect(Math.max(...fragments.map((f) => f.samples))).toBeLessThanOrEqual(gop);
    expect(median(fragments.slice(jumpIndex - 5, jumpIndex).map((f) => f.samples))).toBe(5); // 200 ms = 5 frames

    const after = Array.from({ length: fragments.length - 1 - jumpIndex }, (_, k) => jumpIndex + k);
    // About the 3 s jumped (75 frames) were clamped, give or take a GOP where the freeze begins and ends.
    const clamped = after.reduce((n, i) => n + Math.max(0, clampedFrames(i)), 0);
    expect(clamped).toBeGreaterThanOrEqual((jumpMs / 1000 - 1) * gop);
    expect(clamped).toBeLessThanOrEqual((jumpMs / 1000 + 1) * gop);
    // While frozen, fragments come only at keyframes: a whole GOP in a fragment that lasts 1 tick a frame.
    const frozen = after.filter((i) => fragments[i]!.samples > 5 && durationS(i) < 0.05);
    expect(frozen.map((i) => fragments[i]!.samples)).toContain(gop);
    // Then 200 ms fragments on the stream's timeline (40 ms a frame) again.
    const settled = after.filter((i) => i > lastClamped() + 1);
    expect(median(settled.map((i) => fragments[i]!.samples))).toBe(5);
    for (const i of settled) expect(durationS(i)).toBeCloseTo(fragments[i]!.samples * frameS, 2);
    expect(stderr).toContain("Non-monotonous DTS");
  });
});

describe("test camera with credentials", () => {
  const creds = { username: "admin", password: "p@ss:w/rd" };
  let camera: TestCamera;

  beforeAll(async () => {
    camera = await startTestCamera(creds);
  });

  afterAll(async () => {
    await camera.stop();
  });

  it("answers 401 without credentials or with wrong ones", async () => {
    for (const url of [camera.url("main"), camera.url("main", { ...creds, password: "wrong" })]) {
      const r = await run("ffprobe", ["-v", "error", "-rtsp_transport", "tcp", url]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("401");
    }
  });

  it("streams with the right credentials (URL-encoded by url())", async () => {
    expect((await probe(camera.url("sub", creds))).codec_name).toBe("h264");
  });
});

describe("test camera lifecycle", () => {
  it("restarts on the same port after a kill, and frees it on stop", async () => {
    const camera = await startTestCamera({ width: 320, height: 180, subWidth: 160, subHeight: 96 });
    try {
      expect((await probe(camera.url("main"))).width).toBe(320);
      await camera.kill();
      expect(await refused(camera.port)).toBe(true);
      await camera.restart();
      expect((await probe(camera.url("sub"))).height).toBe(96);
    } finally {
      await camera.stop();
    }
    expect(await refused(camera.port)).toBe(true);
  });

  it.each([
    ["its stdin closes", (c: Child & { stdin: Writable }) => c.stdin.end()],
    ["it gets SIGTERM", (c: Child & { stdin: Writable }) => c.kill("SIGTERM")],
    [
      // Regression: with the parent gone, logging "stopping" to the dead stderr raised inside the
      // stdin handler, which removed the handler, and the camera ran on as an orphan.
      "its parent dies (stdin, stdout and stderr all close)",
      (c: Child & { stdin: Writable }) => {
        c.stdout.destroy();
        c.stderr.destroy();
        c.stdin.end();
      },
    ],
  ])("exits cleanly when %s", async (_why, end) => {
    const script = fileURLToPath(new URL("../../scripts/test-camera.py", import.meta.url));
    const child = track(
      spawn("/usr/bin/python3", [script, "--port", "0"], { stdio: ["pipe", "pipe", "pipe"] }),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const line = await waitForItem<string>(
      "the ready line",
      (push) => createInterface({ input: child.stdout }).on("line", push),
      () => true,
    );
    const ready = JSON.parse(line) as { ready: boolean; port: number; main: string; sub: string };
    expect(ready).toEqual({
      ready: true,
      port: ready.port,
      main: `rtsp://127.0.0.1:${ready.port}/main`,
      sub: `rtsp://127.0.0.1:${ready.port}/sub`,
    });
    end(child);
    expect(await exited).toBe(0);
  });
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Fragment {
  /** performance.now() when the moof arrived. */
  at: number;
  /** tfdt in seconds. */
  decodeTimeS: number;
  samples: number;
}

/** Reads top-level MP4 boxes from ffmpeg's stdout; reports each moof with its tfdt and sample count. */
function readFragments(stdout: Readable, onFragment: (f: Fragment) => void): void {
  let buf = Buffer.alloc(0);
  let timescale = 0;
  stdout.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(0);
      if (buf.length < size) break;
      const type = buf.toString("latin1", 4, 8);
      const box = buf.subarray(8, size);
      buf = buf.subarray(size);
      if (type === "moov") {
        const mdhd = findBox(box, ["trak", "mdia", "mdhd"])!;
        timescale = mdhd.readUInt32BE(mdhd[0] === 1 ? 20 : 12);
      } else if (type === "moof") {
        const tfdt = findBox(box, ["traf", "tfdt"])!;
        const trun = findBox(box, ["traf", "trun"])!;
        const decodeTime = tfdt[0] === 1 ? Number(tfdt.readBigUInt64BE(4)) : tfdt.readUInt32BE(4);
        onFragment({
          at: performance.now(),
          decodeTimeS: decodeTime / timescale,
          samples: trun.readUInt32BE(4),
        });
      }
    }
  });
}

function findBox(payload: Buffer, path: string[]): Buffer | undefined {
  const [want, ...rest] = path;
  for (let i = 0; i + 8 <= payload.length;) {
    const size = payload.readUInt32BE(i);
    if (size < 8) return undefined;
    if (payload.toString("latin1", i + 4, i + 8) === want) {
      const inner = payload.subarray(i + 8, i + size);
      return rest.length === 0 ? inner : findBox(inner, rest);
    }
    i += size;
  }
  return undefined;
}

import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import {
  RenditionSupervisor,
  SourceUnavailable,
  type RenditionState,
} from "../../gateway/src/streaming/rendition-supervisor.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";
import { fmp4Fixture, readAll } from "../helpers/fmp4-fixtures.js";

let init: Buffer;
let fragments: Buffer[];

beforeAll(() => {
  // Real fMP4 from ffmpeg, cut into its init and fragments, is what the fake process "writes".
  const read = readAll(fmp4Fixture("h264-high-l30-3s").bytes);
  init = read.inits[0]!.data;
  fragments = read.fragments.map((f) => f.data);
});

function setup(
  overrides: {
    stallSeconds?: number;
    startTimeoutSeconds?: number;
    args?: () => string[] | Promise<string[]>;
  } = {},
) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const states: RenditionState[] = [];
  const seen = { inits: 0, fragments: 0, runEnds: 0 };
  const sup = new RenditionSupervisor(spawner, clock, pino({ level: "silent" }), {
    ffmpegPath: "ffmpeg",
    args: overrides.args ?? (() => ["-i", "rtsp://u:secret@cam/x"]),
    secrets: () => ["secret"],
    stallSeconds: overrides.stallSeconds ?? 5,
    startTimeoutSeconds: overrides.startTimeoutSeconds ?? 15,
    onInit: () => seen.inits++,
    onFragment: () => seen.fragments++,
    onRunEnd: () => seen.runEnds++,
    random: () => 0.5, // no jitter: delays are exactly the backoff steps
  });
  sup.onStateChange((s) => states.push(s));
  const goLive = async () => {
    spawner.last.stdout.write(init);
    spawner.last.stdout.write(fragments[0]);
    await flush();
  };
  return { clock, spawner, sup, states, seen, goLive };
}

describe("RenditionSupervisor", () => {
  it("starts, goes live on the first fragment and forwards media", async () => {
    const { sup, spawner, states, seen, goLive } = setup();
    sup.start();
    expect(sup.state).toBe("starting");
    expect(spawner.children).toHaveLength(1);
    await goLive();
    expect(states).toEqual(["starting", "live"]);
    expect(seen).toMatchObject({ inits: 1, fragments: 1 });
  });

  it("spawns nothing while its source is absent, keeps the reason code, and starts at once when told", async () => {
    let pushing = false;
    const { sup, spawner, clock, states } = setup({
      args: () =>
        pushing
          ? Promise.resolve(["-i", "rtmp://127.0.0.1/live/cam"])
          : Promise.reject(new SourceUnavailable("not_publishing")),
    });
    sup.start();
    await flush();
    expect(spawner.children).toHaveLength(0);
    expect(sup.state).toBe("backoff");
    expect(sup.health().lastError).toBe("not_publishing");
    clock.advance(1000); // the first backoff step: asked again, still absent
    await flush();
    expect(spawner.children).toHaveLength(0);
    expect(sup.state).toBe("backoff");
    pushing = true;
    sup.start(); // what StreamManager.sourceBack does when a push begins, well before the 2 s step
    await flush();
    expect(spawner.children).toHaveLength(1);
    expect(states.slice(-2)).toEqual(["backoff", "starting"]);
  });

  it("detects a stall while ffmpeg is alive, kills it and retries after backoff", async () => {
    const { sup, spawner, clock, states, goLive } = setup();
    sup.start();
    await goLive();
    clock.advance(4000);
    expect(sup.state).toBe("live");
    clock.advance(2000);
    expect(sup.state).toBe("stalled");
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
    expect(sup.state).toBe("backoff");
    clock.advance(999);
    expect(spawner.children).toHaveLength(1);
    clock.advance(1);
    expect(spawner.children).toHaveLength(2);
    expect(states).toEqual(["starting", "live", "stalled", "backoff", "starting"]);
    expect(sup.health().restarts).toBe(1);
    expect(sup.health().lastError).toMatch(/no fragment for 5 s/);
  });

  // ffmpeg 5.1 kept writing fragments after a camera's clock jumped back, with every DTS rewritten to
  // previous+1: bytes flowed, the picture froze, and a freshness check alone never fired.
  it("detects a stall when fragments keep coming but their timestamps stop advancing", async () => {
    const { sup, spawner, clock, goLive } = setup({ stallSeconds: 3 });
    sup.start();
    await goLive();
    // A fragment with a near-zero duration, as ffmpeg writes them after the jump.
    const frozen = Buffer.from(fragments[1] as Buffer);
    for (let i = 0; i < 5; i++) {
      spawner.last.stdout.write(fragments[1 + (i % 4)]);
      await flush();
      clock.advance(200);
    }
    expect(sup.state).toBe("live");
    const states: string[] = [];
    sup.onStateChange((s) => states.push(s));
    for (let i = 0; i < 30 && sup.state === "live"; i++) {
      // Same bytes but the supervisor is told the durations: feed real fragments at 1/10 of real time.
      spawner.last.stdout.write(frozen);
      await flush();
      clock.advance(2000);
    }
    expect(states[0]).toBe("stalled");
    expect(sup.health().lastError).toMatch(/timestamps stopped advancing/);
  });

  it("treats ffmpeg exiting 0 (RTSP timeout) as a failure and backs off 1, 2, 5, 10, 30, 60, 60 s", () => {
    const { sup, spawner, clock } = setup();
    sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      spawner.last.exit(0);
      expect(sup.state).toBe("backoff");
      const next = sup.health().nextAttemptAt as number;
      delays.push((next - clock.now()) / 1000);
      clock.advance(next - clock.now());
      expect(sup.state).toBe("starting");
    }
    expect(delays).toEqual([1, 2, 5, 10, 30, 60, 60]);
  });

  it("resets the backoff after 60 s live", async () => {
    const { sup, spawner, clock, goLive } = setup();
    sup.start();
    spawner.last.exit(1);
    clock.advance(1000);
    spawner.last.exit(1);
    clock.advance(2000);
    await goLive();
    for (let i = 0; i < 61; i++) {
      spawner.last.stdout.write(fragments[1 + (i % 5)]);
      await flush();
      clock.advance(1000);
    }
    spawner.last.exit(0);
    expect((sup.health().nextAttemptAt as number) - clock.now()).toBe(1000);
  });

  it("fails a start that produces no video in time", () => {
    const { sup, spawner, clock } = setup({ startTimeoutSeconds: 3 });
    sup.start();
    clock.advance(3000);
    expect(sup.state).toBe("failed");
    expect(spawner.last.signals).toEqual(["SIGKILL"]);
    spawner.last.exit(null, "SIGKILL");
    expect(sup.state).toBe("backoff");
  });

  it("fails on output that is not fMP4", async () => {
    const { sup, spawner } = setup();
    sup.start();
    spawner.last.stdout.write(Buffer.from([0, 0, 0, 3, 0x66, 0x6f, 0x6f, 0x21]));
    await flush();
    expect(sup.state).toBe("failed");
    expect(sup.health().lastError).toMatch(/unreadable output/);
  });

  it("stops gracefully: SIGTERM, SIGKILL after 5 s, idle once exited", async () => {
    const { sup, spawner, clock, goLive } = setup();
    sup.start();
    await goLive();
    let stopped = false;
    const done = sup.stop().then(() => (stopped = true));
    expect(sup.state).toBe("stopping");
    expect(spawner.last.signals).toEqual(["SIGTERM"]);
    clock.advance(5000);
    expect(spawner.last.signals).toEqual(["SIGTERM", "SIGKILL"]);
    await flush();
    expect(stopped).toBe(false);
    spawner.last.exit(null, "SIGKILL");
    await done;
    expect(sup.state).toBe("idle");
  });

  it("stopping during backoff goes idle at once and no retry fires", async () => {
    const { sup, spawner, clock } = setup();
    sup.start();
    spawner.last.exit(1);
    await sup.stop();
    expect(sup.state).toBe("idle");
    clock.advance(120_000);
    expect(spawner.children).toHaveLength(1);
  });

  it("ignores output and exits of a process from an earlier generation", async () => {
    const { sup, spawner, clock, seen } = setup();
    sup.start();
    const old = spawner.last;
    sup.restart("camera settings changed");
    old.exit(null, "SIGTERM");
    expect(spawner.children).toHaveLength(2);
    old.stdout.write(init);
    await flush();
    expect(seen.inits).toBe(0);
    old.exit(1);
    expect(sup.state).toBe("starting");
    clock.advance(100);
    expect(sup.state).toBe("starting");
  });

  it("keeps the last 50 stderr lines with credentials redacted", async () => {
    const { sup, spawner } = setup();
    sup.start();
    for (let i = 0; i < 60; i++)
      spawner.last.stderr.write(`[error] line ${String(i)} rtsp://admin:secret@10.0.0.5/x\n`);
    await flush();
    const lines = sup.health().stderr;
    expect(lines).toHaveLength(50);
    expect(lines[0]).toBe("[error] line 10 rtsp://admin:***@10.0.0.5/x");
    expect(lines.join("\n")).not.toContain("secret");
  });
});

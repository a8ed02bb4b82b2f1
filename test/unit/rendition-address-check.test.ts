import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  RenditionSupervisor,
  type RenditionState,
} from "../../gateway/src/streaming/rendition-supervisor.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";

// Regression (issue 9, item 9): ffmpeg was started on whatever a camera's host name resolved to at that
// moment. Its arguments are now built after the address is resolved and checked; a refused address fails
// the start with the reason, spawns nothing, and is tried again after the usual backoff.

function setup(args: () => Promise<string[]>) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const states: RenditionState[] = [];
  const sup = new RenditionSupervisor(spawner, clock, pino({ level: "silent" }), {
    ffmpegPath: "ffmpeg",
    args,
    secrets: () => [],
    stallSeconds: 5,
    startTimeoutSeconds: 15,
    onInit: () => undefined,
    onFragment: () => undefined,
    onRunEnd: () => undefined,
    random: () => 0.5,
  });
  sup.onStateChange((s) => states.push(s));
  return { clock, spawner, sup, states };
}

describe("a rendition whose camera address is checked before ffmpeg starts", () => {
  it("a refused address: failed with the reason, nothing spawned, retried after backoff", async () => {
    let calls = 0;
    const { clock, spawner, sup, states } = setup(() => {
      calls++;
      return Promise.reject(new Error("camera address not allowed (network.allowedNetworks): x → 127.0.0.1"));
    });
    sup.start();
    await flush();
    expect(states).toEqual(["starting", "failed", "backoff"]);
    expect(sup.health().lastError).toBe(
      "not started: camera address not allowed (network.allowedNetworks): x → 127.0.0.1",
    );
    expect(spawner.children).toHaveLength(0);
    clock.advance(1000);
    await flush();
    expect(calls).toBe(2);
    expect(spawner.children).toHaveLength(0);
    await sup.stop();
    expect(sup.state).toBe("idle");
  });

  it("an allowed address: ffmpeg gets the arguments built for it", async () => {
    const { spawner, sup } = setup(() => Promise.resolve(["-i", "rtsp://10.0.0.64/main"]));
    sup.start();
    expect(spawner.children).toHaveLength(0);
    await flush();
    expect(spawner.last.args).toEqual(["-i", "rtsp://10.0.0.64/main"]);
    expect(sup.state).toBe("starting");
    const stopped = sup.stop();
    spawner.last.exit(null, "SIGTERM");
    await stopped;
  });

  it("stopped while the address was being resolved: nothing is spawned afterwards", async () => {
    let answer: (a: string[]) => void = () => undefined;
    const { spawner, sup } = setup(() => new Promise((resolve) => (answer = resolve)));
    sup.start();
    await sup.stop();
    answer(["-i", "rtsp://10.0.0.64/main"]);
    await flush();
    expect(spawner.children).toHaveLength(0);
    expect(sup.state).toBe("idle");
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Engine, EngineEvents, EngineName } from "../../viewer/src/engines/engine.js";
import type { EngineChoice } from "../../viewer/src/engines/engine-choice.js";
import type { TextKey } from "../../viewer/src/i18n.js";
import {
  firstPictureMs,
  hiddenDropMs,
  maxReauthorizePerMinute,
  Playback,
  progressCheckMs,
  resumeGraceMs,
  stallMs,
  type PlaybackPhase,
  rateLimitedRetryMs,
  renewRetryMs,
  retryMaxMs,
  retryMinMs,
} from "../../viewer/src/playback.js";
import { RefusedError, type Grant, type Watch, type WatchClient } from "../../viewer/src/watch-client.js";

/** The policy of viewer/src/playback.ts with a fake watch client, a fake engine and fake timers. */

function watchOf(n: number): Watch {
  return {
    cameraId: "cam",
    name: "Kelas 1A",
    demo: false,
    renditions: ["main", "sub"],
    hls: `/live/t${String(n)}/index.m3u8`,
    ws: `/live/t${String(n)}/ws`,
    expiresAt: new Date(Date.now() + 300_000).toISOString(),
  };
}

/** Answers watch calls from a script (default: a fresh grant renewed after 240 s) and records them. */
class FakeClient implements WatchClient {
  calls: { cameraId: string; prefer: string | undefined; at: number }[] = [];
  answers: (() => Promise<Grant>)[] = [];
  renewInMs = 240_000;

  watch(cameraId: string, prefer: "main" | "sub" | undefined): Promise<Grant> {
    this.calls.push({ cameraId, prefer, at: Date.now() });
    const next = this.answers.shift();
    return next ? next() : Promise.resolve({ watch: watchOf(this.calls.length), renewInMs: this.renewInMs });
  }

  refuse(status: number, code: string): void {
    this.answers.push(() => Promise.reject(new RefusedError(status, code)));
  }

  fail(): void {
    this.answers.push(() => Promise.reject(new Error("network down")));
  }
}

class FakeEngine implements Engine {
  plays: { watch: Watch; rendition: string }[] = [];
  renewals: Watch[] = [];
  stops = 0;
  events: EngineEvents | undefined;

  constructor(
    readonly name: EngineName,
    readonly renews: boolean,
  ) {}

  play(watch: Watch, rendition: "auto" | "main" | "sub", events: EngineEvents): void {
    this.plays.push({ watch, rendition });
    this.events = events;
  }

  renewed(w: Watch): void {
    this.renewals.push(w);
  }

  stop(): void {
    this.stops++;
  }
}

class FakeEngines implements EngineChoice {
  cleared = 0;
  constructor(public engine: FakeEngine | undefined) {}
  choose(): Promise<Engine | undefined> {
    return Promise.resolve(this.engine);
  }
  clear(): void {
    this.cleared++;
  }
}

/** The video's position, moved by the test: a picture that plays, or one that stands still. */
class FakeVideo {
  at = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Advances 0.1 s every 100 ms of fake time until frozen. */
  run(): void {
    this.timer ??= setInterval(() => (this.at += 0.1), 100);
  }
  freeze(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function setUp(engine: FakeEngine | null = new FakeEngine("hlsjs", true), video?: FakeVideo) {
  const client = new FakeClient();
  const engines = new FakeEngines(engine ?? undefined);
  const statuses: (TextKey | undefined)[] = [];
  const refusals: { code: string; cameraId: string }[] = [];
  const watches: Watch[] = [];
  const phases: PlaybackPhase[] = [];
  const playback = new Playback(
    {
      status: (k) => statuses.push(k),
      refused: (code, cameraId) => refusals.push({ code, cameraId }),
      watch: (w) => watches.push(w),
      phase: (p) => phases.push(p),
    },
    client,
    engines,
    video && (() => video.at),
  );
  return { client, engines, engine: engine as FakeEngine, playback, statuses, refusals, watches, phases };
}

/** Runs timers and the promises they start, `ms` of fake time. */
const pass = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-12-03T01:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Playback: starting", () => {
  it("asks for URLs, tells the page, and hands them to the chosen engine with the rendition", async () => {
    const { client, engine, playback, statuses, watches } = setUp();
    playback.rendition = "sub";
    playback.play("cam");
    await pass(0);
    expect(client.calls).toEqual([{ cameraId: "cam", prefer: "sub", at: Date.now() }]);
    expect(statuses).toEqual(["loading"]);
    expect(watches.map((w) => w.hls)).toEqual(["/live/t1/index.m3u8"]);
    expect(engine.plays).toEqual([{ watch: watches[0], rendition: "sub" }]);
    expect(playback.phase).toBe("playing");
    expect(playback.watching).toBe("cam");
    expect(playback.urls?.hls).toBe("/live/t1/index.m3u8");
    engine.events?.playing();
    expect(statuses.at(-1)).toBeUndefined();
  });

  it("says so when the browser plays neither way, and keeps the camera chosen", async () => {
    const { playback, statuses } = setUp(null);
    playback.play("cam");
    await pass(0);
    expect(statuses).toEqual(["loading", "unsupported"]);
    expect(playback.phase).toBe("unsupported");
    expect(playback.watching).toBe("cam");
  });

  it("ignores an answer that arrives after stop()", async () => {
    const { client, engine, engines, playback, watches } = setUp();
    let answer: (g: Grant) => void = () => undefined;
    client.answers.push(() => new Promise<Grant>((resolve) => (answer = resolve)));
    playback.play("cam");
    playback.stop();
    answer({ watch: watchOf(1), renewInMs: 1000 });
    await pass(60_000);
    expect(engine.plays).toEqual([]);
    expect(watches).toEqual([]);
    expect(engines.cleared).toBe(1);
    expect(playback.phase).toBe("idle");
    expect(playback.watching).toBeUndefined();
  });
});

describe("Playback: token renewal", () => {
  it("renews before the token expires and hands the engine the new URLs, again and again", async () => {
    const { client, engine, playback, watches } = setUp();
    playback.play("cam");
    await pass(0);
    await pass(240_000 - 1);
    expect(client.calls).toHaveLength(1);
    await pass(1);
    expect(client.calls).toHaveLength(2);
    expect(engine.renewals.map((w) => w.hls)).toEqual(["/live/t2/index.m3u8"]);
    expect(playback.urls?.hls).toBe("/live/t2/index.m3u8");
    await pass(240_000);
    expect(engine.renewals.map((w) => w.hls)).toEqual(["/live/t2/index.m3u8", "/live/t3/index.m3u8"]);
    expect(watches).toHaveLength(3);
    // A renewal neither restarts the engine nor shows a status.
    expect(engine.plays).toHaveLength(1);
    expect(engine.stops).toBe(0);
  });

  it("does not renew for an engine whose socket the gateway re-authorizes itself", async () => {
    const { client, playback } = setUp(new FakeEngine("ws-mse", false));
    playback.play("cam");
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
  });

  it("tries a failed renewal again after 10 s, on the old token meanwhile", async () => {
    const { client, engine, playback } = setUp();
    playback.play("cam");
    await pass(0);
    client.fail();
    client.refuse(429, "rate_limited");
    await pass(240_000);
    expect(client.calls).toHaveLength(2);
    await pass(renewRetryMs);
    expect(client.calls).toHaveLength(3);
    await pass(renewRetryMs);
    expect(client.calls).toHaveLength(4);
    expect(engine.renewals).toHaveLength(1);
    expect(engine.stops).toBe(0);
    expect(playback.phase).toBe("playing");
  });

  it("stops with the reason when a renewal is refused by a rule, and asks nothing more", async () => {
    const { client, engine, engines, playback, refusals } = setUp();
    playback.play("cam");
    await pass(0);
    client.refuse(403, "outside_hours");
    await pass(240_000);
    expect(refusals).toEqual([{ code: "outside_hours", cameraId: "cam" }]);
    expect(engine.stops).toBe(1);
    expect(engines.cleared).toBe(1);
    expect(playback.phase).toBe("idle");
    await pass(3_600_000);
    expect(client.calls).toHaveLength(2);
  });
});

describe("Playback: refusals", () => {
  it.each([
    [403, "outside_hours"],
    [403, "revoked"],
    [401, "no_device"],
    [404, "not_authorized"],
  ])("a watch call refused %i %s stops playback, says why, and is never retried", async (status, code) => {
    const { client, engine, playback, refusals } = setUp();
    client.refuse(status, code);
    playback.play("cam");
    await pass(0);
    expect(refusals).toEqual([{ code, cameraId: "cam" }]);
    expect(playback.phase).toBe("idle");
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
    expect(engine.plays).toEqual([]);
  });

  it("a media refusal with a rule's reason stops the engine and says why", async () => {
    const { client, engine, playback, refusals } = setUp();
    playback.play("cam");
    await pass(0);
    engine.events?.refused("paused");
    expect(refusals).toEqual([{ code: "paused", cameraId: "cam" }]);
    expect(engine.stops).toBe(1);
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
  });

  it("rate-limited: says so, waits 15 s, then asks again", async () => {
    const { client, playback, refusals } = setUp();
    client.refuse(429, "rate_limited");
    playback.play("cam");
    await pass(0);
    expect(refusals).toEqual([{ code: "rate_limited", cameraId: "cam" }]);
    expect(playback.phase).toBe("retrying");
    expect(playback.watching).toBe("cam");
    await pass(rateLimitedRetryMs - 1);
    expect(client.calls).toHaveLength(1);
    await pass(1);
    expect(client.calls).toHaveLength(2);
    expect(playback.phase).toBe("playing");
  });

  it("a refusal without a reason (stale token) asks for fresh URLs at once, at most 3 times a minute", async () => {
    const { client, engine, playback, statuses } = setUp();
    playback.play("cam");
    await pass(0);
    for (let i = 0; i < maxReauthorizePerMinute; i++) {
      engine.events?.refused(undefined);
      await pass(0);
    }
    expect(client.calls.map((c) => c.at)).toEqual(Array(4).fill(Date.now()));
    expect(engine.plays).toHaveLength(4);
    // The fourth within the minute waits for the backoff instead.
    engine.events?.refused(undefined);
    await pass(0);
    expect(client.calls).toHaveLength(4);
    expect(playback.phase).toBe("retrying");
    expect(statuses.at(-1)).toBe("reconnecting");
    await pass(retryMinMs);
    expect(client.calls).toHaveLength(5);
    // A minute after the first ones, re-authorizing at once is allowed again.
    await pass(60_000);
    engine.events?.refused(undefined);
    await pass(0);
    expect(client.calls).toHaveLength(6);
  });

  it("events of an engine run that was stopped are not heard", async () => {
    const { client, engine, playback, refusals } = setUp();
    playback.play("cam");
    await pass(0);
    const old = engine.events;
    playback.play("cam");
    await pass(0);
    old?.refused("revoked");
    old?.fatal();
    await pass(60_000);
    expect(refusals).toEqual([]);
    expect(client.calls).toHaveLength(2);
    expect(playback.phase).toBe("playing");
  });
});

describe("Playback: backoff", () => {
  it("retries a gateway it cannot reach after 2, 4, 8, 16 s, then every 30 s at most", async () => {
    const { client, playback, statuses } = setUp();
    for (let i = 0; i < 7; i++) client.fail();
    playback.play("cam");
    await pass(0);
    expect(statuses).toEqual(["loading", "reconnecting"]);
    await pass(4 * 60_000);
    const at = client.calls.map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? t));
    // Seven failures, then it plays (and renews 240 s later, outside this window).
    expect(gaps).toEqual([2000, 4000, 8000, 16_000, retryMaxMs, retryMaxMs, retryMaxMs]);
    expect(playback.phase).toBe("playing");
  });

  it("a picture that plays again resets the backoff", async () => {
    const { client, engine, playback } = setUp();
    client.fail();
    client.fail();
    playback.play("cam");
    await pass(2000 + 4000);
    expect(client.calls).toHaveLength(3);
    engine.events?.fatal();
    await pass(0);
    // Not played yet since the failures: the next step of the backoff.
    await pass(8000);
    expect(client.calls).toHaveLength(4);
    engine.events?.playing();
    engine.events?.fatal("starting");
    await pass(retryMinMs);
    expect(client.calls).toHaveLength(5);
  });

  it("an engine's fatal error shows its status and retries with a fresh watch call", async () => {
    const { client, engine, playback, statuses } = setUp();
    playback.play("cam");
    await pass(0);
    engine.events?.fatal("starting");
    expect(statuses.at(-1)).toBe("starting");
    expect(engine.stops).toBe(1);
    expect(playback.phase).toBe("retrying");
    await pass(retryMinMs);
    expect(client.calls).toHaveLength(2);
    expect(engine.plays).toHaveLength(2);
  });
});

describe("Playback: stop", () => {
  it("cancels a pending retry", async () => {
    const { client, playback } = setUp();
    client.fail();
    playback.play("cam");
    await pass(0);
    expect(playback.phase).toBe("retrying");
    playback.stop();
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("cancels the renewal and stops the engine", async () => {
    const { client, engine, engines, playback } = setUp();
    playback.play("cam");
    await pass(0);
    playback.stop();
    expect(engine.stops).toBe(1);
    expect(engines.cleared).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
    expect(playback.urls).toBeUndefined();
  });
});

describe("Playback: recovering by itself", () => {
  /** A camera that plays: the engine reports a moving picture. */
  async function live() {
    const video = new FakeVideo();
    const t = setUp(new FakeEngine("ws-mse", false), video);
    t.playback.play("cam");
    await pass(0);
    video.run();
    t.engine.events?.playing();
    return { ...t, video };
  }

  it("tells the page each phase: connecting, live, retrying", async () => {
    const { engine, phases } = await live();
    expect(phases).toEqual(["connecting", "live"]);
    engine.events?.fatal();
    expect(phases).toEqual(["connecting", "live", "retrying"]);
  });

  it("a picture that stops moving while the socket stays open is replaced by a fresh start", async () => {
    const { client, engine, playback, video, statuses } = await live();
    await pass(60_000);
    expect(client.calls).toHaveLength(1);
    video.freeze();
    // Seen still at one look, taken for a stall stallMs after the last look that saw it move.
    await pass(stallMs + 2 * progressCheckMs);
    expect(engine.stops).toBe(1);
    expect(statuses).toContain("reconnecting");
    expect(client.calls).toHaveLength(2);
    expect(playback.phase).toBe("playing");
  });

  it("a start that never shows a picture is given longer (a camera starting on demand), then retried", async () => {
    const video = new FakeVideo();
    const { client, playback } = setUp(new FakeEngine("ws-mse", false), video);
    playback.play("cam");
    await pass(firstPictureMs - 1000);
    expect(client.calls).toHaveLength(1);
    await pass(2000);
    expect(client.calls).toHaveLength(1);
    expect(playback.phase).toBe("retrying");
    await pass(retryMinMs);
    expect(client.calls).toHaveLength(2);
  });

  it("offline: stops and says so; online: starts again at once, without waiting out the backoff", async () => {
    const { client, engine, engines, playback, statuses, phases } = await live();
    playback.setOnline(false);
    expect(engine.stops).toBe(1);
    expect(engines.cleared).toBe(1);
    expect(statuses.at(-1)).toBe("offline");
    expect(phases.at(-1)).toBe("offline");
    expect(playback.watching).toBe("cam");
    // Nothing is asked while offline, however long.
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
    playback.setOnline(true);
    await pass(0);
    expect(client.calls).toHaveLength(2);
    expect(engine.plays).toHaveLength(2);
    expect(phases.at(-1)).toBe("connecting");
  });

  it("online cuts a long backoff short", async () => {
    const { client, playback } = setUp();
    for (let i = 0; i < 5; i++) client.fail();
    playback.play("cam");
    await pass(2000 + 4000 + 8000 + 16_000);
    expect(client.calls).toHaveLength(5);
    // The next try would be 30 s away; the network comes back now.
    playback.setOnline(true);
    await pass(0);
    expect(client.calls).toHaveLength(6);
    expect(playback.phase).toBe("playing");
  });

  it("a play() while offline waits for the network instead of failing", async () => {
    const { client, playback, statuses } = setUp();
    playback.setOnline(false);
    playback.play("cam");
    await pass(60_000);
    expect(client.calls).toEqual([]);
    expect(statuses).toEqual(["offline"]);
    playback.setOnline(true);
    await pass(0);
    expect(client.calls).toHaveLength(1);
  });

  it("a rate limit is waited out even when the network comes back", async () => {
    const { client, playback } = setUp();
    client.refuse(429, "rate_limited");
    playback.play("cam");
    await pass(0);
    playback.setOnline(true);
    await pass(rateLimitedRetryMs - 1);
    expect(client.calls).toHaveLength(1);
    await pass(1);
    expect(client.calls).toHaveLength(2);
  });

  it("hidden briefly: keeps playing; hidden for long: stops streaming; shown: starts again at once", async () => {
    const { client, engine, playback, video, phases } = await live();
    playback.setVisible(false);
    // A hidden page's video may stand still: not taken for a stall.
    video.freeze();
    await pass(hiddenDropMs - 1000);
    expect(engine.stops).toBe(0);
    playback.setVisible(true);
    video.run();
    await pass(hiddenDropMs * 2);
    expect(engine.stops).toBe(0);
    playback.setVisible(false);
    await pass(hiddenDropMs);
    expect(engine.stops).toBe(1);
    expect(phases.at(-1)).toBe("suspended");
    expect(playback.watching).toBe("cam");
    await pass(3_600_000);
    expect(client.calls).toHaveLength(1);
    playback.setVisible(true);
    await pass(0);
    expect(client.calls).toHaveLength(2);
    expect(engine.plays).toHaveLength(2);
  });

  it("shown again with a picture that does not move: a fresh start within the grace, not after a stall", async () => {
    const { client, playback, video } = await live();
    playback.setVisible(false);
    video.freeze();
    await pass(5000);
    playback.setVisible(true);
    await pass(resumeGraceMs + progressCheckMs);
    expect(client.calls).toHaveLength(2);
  });

  it("shown again while waiting to retry: tries at once", async () => {
    const { client, engine, playback } = await live();
    engine.events?.fatal();
    playback.setVisible(false);
    playback.setVisible(true);
    await pass(0);
    expect(client.calls).toHaveLength(2);
  });

  it("a stop() leaves nothing to resume", async () => {
    const { client, playback } = await live();
    playback.stop();
    playback.setVisible(false);
    await pass(hiddenDropMs);
    playback.setVisible(true);
    playback.setOnline(false);
    playback.setOnline(true);
    await pass(60_000);
    expect(client.calls).toHaveLength(1);
    expect(playback.phase).toBe("idle");
  });
});

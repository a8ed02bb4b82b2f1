import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { EdgeAgent } from "../../gateway/src/fleet/edge-agent.js";
import {
  decodeJson,
  encodeJson,
  type LinkMessage,
  type LinkTransport,
} from "../../gateway/src/fleet/link-transport.js";
import { RelayFeed } from "../../gateway/src/fleet/relay-feed.js";
import { RelayPublisher, type RelayedRendition } from "../../gateway/src/fleet/relay-publisher.js";
import { subjects } from "../../gateway/src/fleet/subjects.js";
import type { Fragment, InitSegment } from "../../gateway/src/streaming/fmp4/fmp4-types.js";
import { LiveStream } from "../../gateway/src/streaming/live-stream.js";
import type { RenditionState } from "../../gateway/src/streaming/rendition-supervisor.js";
import type { StreamManager } from "../../gateway/src/streaming/stream-manager.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { fmp4Fixture, readAll } from "../helpers/fmp4-fixtures.js";

// The relay's logic without NATS: an in-memory link between an edge's RelayPublisher and a hub's RelayFeed,
// real ffmpeg fMP4 (a kept fixture) through a real LiveStream. The real NATS path: fleet-link.test.ts.

const silent = pino({ level: "silent" });
const edgeId = "edg_test";
const cameraId = "cam_test";

/** Subjects as NATS matches them (`*` one token, `>` the rest); delivery is synchronous. */
class MemoryLink implements LinkTransport {
  connected = true;
  readonly published: { subject: string; data: Uint8Array; headers?: Record<string, string> }[] = [];
  private readonly subs = new Set<{ pattern: string; on: (m: LinkMessage) => void }>();

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    this.published.push({ subject, data, ...(headers && { headers }) });
    this.deliver(subject, data, headers, undefined);
  }

  request(subject: string, data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!this.deliver(subject, data, undefined, resolve)) reject(new Error("no responders"));
    });
  }

  subscribe(pattern: string, on: (m: LinkMessage) => void): () => void {
    const s = { pattern, on };
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  private deliver(
    subject: string,
    data: Uint8Array,
    headers: Record<string, string> | undefined,
    reply: ((d: Uint8Array) => void) | undefined,
  ): boolean {
    let any = false;
    for (const s of [...this.subs]) {
      if (!matches(s.pattern, subject)) continue;
      any = true;
      s.on({
        subject,
        data,
        header: (n) => headers?.[n],
        respond: (d) => {
          reply?.(d);
          return reply !== undefined;
        },
      });
    }
    return any;
  }
}

function matches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

let init: InitSegment;
let fragments: Fragment[];
beforeAll(() => {
  const read = readAll(fmp4Fixture("h264-high-l30-3s").bytes);
  init = read.inits[0]!;
  fragments = read.fragments;
});

function edgeSide(clock: FakeClock, link: MemoryLink, maxInFlightBytes = 1 << 30) {
  const stream = new LiveStream({
    windowSeconds: 10,
    partTargetSeconds: 0.2,
    maxSegmentSeconds: 6,
    firstSegmentSeconds: 0.4,
    now: () => clock.now(),
  });
  const viewers = { n: 0 };
  const rendition: RelayedRendition = {
    stream,
    cameraId,
    name: "main",
    wsOpened: () => viewers.n++,
    wsClosed: () => viewers.n--,
  };
  const counters = { droppedFragments: 0, sentBytes: 0 };
  const publisher = new RelayPublisher(link, edgeId, rendition, "boot1", clock, silent, counters, {
    maxInFlightBytes,
    idleMs: 10_000,
  });
  // What the edge agent does with the hub's requests, reduced to the publisher.
  link.subscribe(subjects.allCtl(edgeId), (m) => {
    const req = decodeJson(m.data) as { session: string; receivedBytes?: number };
    if (m.subject.endsWith("relay.start")) {
      m.respond(encodeJson({ ok: true, subject: subjects.media(edgeId, cameraId, "main") }));
      publisher.join(req.session);
    } else if (m.subject.endsWith("relay.keepalive")) publisher.keepalive(req.session, req.receivedBytes);
    else if (m.subject.endsWith("relay.stop")) publisher.leave(req.session);
  });
  return { stream, publisher, counters, viewers };
}

function hubSide(clock: FakeClock, link: MemoryLink, online = () => true) {
  const got = {
    inits: [] as InitSegment[],
    fragments: [] as Fragment[],
    runEnds: 0,
    states: [] as RenditionState[],
  };
  const feed = new RelayFeed(
    link,
    edgeId,
    cameraId,
    "main",
    {
      onInit: (i) => got.inits.push(i),
      onFragment: (f) => got.fragments.push(f),
      onRunEnd: () => got.runEnds++,
    },
    clock,
    silent,
    { stallSeconds: 5, startTimeoutSeconds: 10, keepaliveMs: 1000, requestTimeoutMs: 3000 },
    online,
  );
  feed.onStateChange((s) => got.states.push(s));
  return { feed, got };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("relay over the link", () => {
  it("starts the hub with the init and the GOP cache, then every frame, in order", async () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link);
    edge.stream.pushInit(init);
    for (const f of fragments.slice(0, 10)) edge.stream.pushFragment(f);
    const { feed, got } = hubSide(clock, link);
    feed.start();
    await settle();
    expect(edge.viewers.n).toBe(1); // the edge's rendition runs while the hub watches
    expect(got.inits).toHaveLength(1);
    expect(got.inits[0]!.codecs).toBe(init.codecs);
    expect(feed.state).toBe("live");
    const gopStart = got.fragments[0]!;
    expect(gopStart.keyframe).toBe(true);
    for (const f of fragments.slice(10)) edge.stream.pushFragment(f);
    const seqs = got.fragments.map((f) => f.sequenceNumber);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(fragments.at(-1)!.sequenceNumber);
    await feed.stop();
    expect(edge.viewers.n).toBe(0);
    expect(got.runEnds).toBe(1);
  });

  it("skips to the next keyframe while the hub has not acknowledged enough, and counts what it skipped", () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link, 4096);
    edge.stream.pushInit(init);
    // A session that never acknowledges: a link that does not drain.
    edge.publisher.join("session-without-acks");
    for (const f of fragments) edge.stream.pushFragment(f);
    expect(edge.counters.droppedFragments).toBeGreaterThan(0);
    const sentBytes = edge.counters.sentBytes;
    expect(sentBytes).toBeLessThan(
      64 * 1024 + Math.max(...fragments.map((f) => f.data.length)) + init.data.length,
    );
    // Acknowledged at last: sending resumes, at a keyframe.
    edge.publisher.keepalive("session-without-acks", sentBytes);
    const before = link.published.length;
    for (const f of fragments) edge.stream.pushFragment({ ...f, sequenceNumber: f.sequenceNumber + 1000 });
    const resumed = link.published.slice(before).filter((p) => p.headers?.k === "frag");
    expect(resumed.length).toBeGreaterThan(0);
    expect(Buffer.from(resumed[0]!.data).equals(fragments.find((f) => f.keyframe)!.data)).toBe(true);
  });

  it("does not repeat frames or the init when another session's GOP is sent again", async () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link);
    edge.stream.pushInit(init);
    for (const f of fragments.slice(0, 12)) edge.stream.pushFragment(f);
    const { feed, got } = hubSide(clock, link);
    feed.start();
    await settle();
    const n = got.fragments.length;
    edge.publisher.join("second-hub-process");
    expect(got.inits).toHaveLength(1);
    expect(got.fragments).toHaveLength(n);
    await feed.stop();
  });

  it("fails a run on a malformed message from the edge and backs off", async () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link);
    edge.stream.pushInit(init);
    for (const f of fragments.slice(0, 10)) edge.stream.pushFragment(f);
    const { feed, got } = hubSide(clock, link);
    feed.start();
    await settle();
    link.publish(subjects.media(edgeId, cameraId, "main"), Buffer.from("\0\0\0\x08mdat"), {
      k: "frag",
      g: "boot1.1",
    });
    expect(feed.state).toBe("backoff");
    expect(feed.health().lastError).toMatch(/unreadable relay from the edge/);
    expect(got.runEnds).toBe(1);
    link.publish(subjects.media(edgeId, cameraId, "main"), Buffer.from("x"), { k: "nonsense" });
    expect(feed.state).toBe("backoff"); // nothing after the failure reaches the stream
    await feed.stop();
  });

  it("stalls when the link goes quiet and asks again after the backoff", async () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link);
    edge.stream.pushInit(init);
    for (const f of fragments.slice(0, 10)) edge.stream.pushFragment(f);
    const { feed, got } = hubSide(clock, link);
    feed.start();
    await settle();
    clock.advance(9000);
    await settle();
    expect(got.states).toEqual(expect.arrayContaining(["stalled", "backoff"]));
    // Asked again, the edge sends its GOP for the new session: live again.
    expect(got.states.lastIndexOf("live")).toBeGreaterThan(got.states.indexOf("stalled"));
    expect(feed.health().restarts).toBeGreaterThanOrEqual(1);
    await feed.stop();
  });

  it("does not ask an edge that is off the link", async () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const { feed } = hubSide(clock, link, () => false);
    feed.start();
    await settle();
    expect(feed.state).toBe("backoff");
    expect(feed.health().lastError).toMatch(/not on the link/);
    expect(link.published.filter((p) => p.subject.endsWith("relay.start"))).toHaveLength(0);
    await feed.stop();
  });

  it("stops relaying when no hub session keeps it alive", () => {
    const clock = new FakeClock();
    const link = new MemoryLink();
    const edge = edgeSide(clock, link);
    edge.stream.pushInit(init);
    edge.publisher.join("s-1234567890");
    expect(edge.viewers.n).toBe(1);
    clock.advance(11_000);
    edge.publisher.sweep();
    expect(edge.viewers.n).toBe(0);
    expect(edge.publisher.active).toBe(false);
  });
});

describe("edge agent: what the hub may ask", () => {
  function agent(link: MemoryLink, calls: string[]) {
    const a = new EdgeAgent(
      link,
      {
        streams: { get: () => undefined } as unknown as StreamManager,
        cameras: () => [],
        health: () => undefined,
        api: (req) => {
          calls.push(`${req.method} ${req.path}`);
          return Promise.resolve({ status: 200, body: {} });
        },
        rtt: () => Promise.resolve(1),
        clock: new FakeClock(),
        log: silent,
      },
      {
        edgeId,
        schoolId: "sch_local",
        version: "0.1.0",
        statusMs: 1000,
        maxInFlightBytes: 1 << 20,
        relayIdleMs: 10_000,
      },
    );
    a.start();
    return a;
  }

  it.each([
    [{ method: "POST", path: "/api/users" }],
    [{ method: "GET", path: "/api/cameras/../users" }],
    [{ method: "POST", path: "/api/discovery/scan?x=1" }],
    [{ method: "DELETE", path: "/api/cameras" }],
    ["not json at all"],
  ])("refuses to forward %j", async (req) => {
    const link = new MemoryLink();
    const calls: string[] = [];
    const a = agent(link, calls);
    const data = typeof req === "string" ? Buffer.from(req) : encodeJson(req);
    const reply = decodeJson(await link.request(subjects.ctl(edgeId, "api"), data)) as { status: number };
    expect(reply.status).toBe(403);
    expect(calls).toEqual([]);
    a.close();
  });

  it("forwards a scan", async () => {
    const link = new MemoryLink();
    const calls: string[] = [];
    const a = agent(link, calls);
    const reply = decodeJson(
      await link.request(
        subjects.ctl(edgeId, "api"),
        encodeJson({ method: "POST", path: "/api/discovery/scan", body: {} }),
      ),
    ) as { status: number };
    expect(reply.status).toBe(200);
    expect(calls).toEqual(["POST /api/discovery/scan"]);
    a.close();
  });

  it.each([
    [{ cameraId: "cam 1", rendition: "main", session: "s-1234567890" }],
    [{ cameraId: "cam_1", rendition: "4k", session: "s-1234567890" }],
    [{ cameraId: "cam_1", rendition: "main", session: "x" }],
    [{ cameraId: "cam_1", rendition: "main", session: "s-1234567890", extra: true }],
  ])("refuses the relay request %j", async (req) => {
    const link = new MemoryLink();
    const a = agent(link, []);
    const reply = decodeJson(await link.request(subjects.ctl(edgeId, "relay.start"), encodeJson(req))) as {
      ok: boolean;
      code: string;
    };
    expect(reply).toMatchObject({ ok: false, code: "invalid_input" });
    a.close();
  });

  it("answers not_found for a camera it does not have", async () => {
    const link = new MemoryLink();
    const a = agent(link, []);
    const reply = decodeJson(
      await link.request(
        subjects.ctl(edgeId, "relay.start"),
        encodeJson({ cameraId: "cam_none", rendition: "main", session: "s-1234567890" }),
      ),
    ) as { ok: boolean; code: string };
    expect(reply).toMatchObject({ ok: false, code: "not_found" });
    a.close();
  });
});

import { describe, expect, it } from "vitest";
import type { InitEntry } from "../../gateway/src/streaming/live-stream.js";
import { ViewerFeed, type FeedSocket } from "../../gateway/src/streaming/ws/viewer-feed.js";

// Issue 9 item 5: a new WebSocket viewer was handed the whole GOP cache in one go, however much its socket
// already held; the GOP burst now passes the same queued-bytes limit as live frames.

/** A socket whose queue holds `queued` bytes plus whatever was sent and not yet drained. */
class FakeSocket implements FeedSocket {
  sent: (Buffer | string)[] = [];
  closed: { code: number; reason: string } | undefined;
  open = true;
  constructor(
    public queued = 0,
    /** Bytes the network takes per send; the rest stays queued. */
    private readonly drainPerSend = Infinity,
  ) {}
  get bufferedAmount(): number {
    return this.queued;
  }
  send(data: Buffer | string): void {
    this.sent.push(data);
    this.queued += Math.max(0, data.length - this.drainPerSend);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.open = false;
  }
}

const init: InitEntry = {
  id: 1,
  data: Buffer.alloc(800, 1),
  codecs: "avc1.42c01e",
  videoTrackId: 1,
  videoTimescale: 90000,
  width: 640,
  height: 360,
  hasAudio: false,
};
const frame = (n: number, size = 10_000) => Buffer.alloc(size, n);
const gop = { init, data: [frame(1, 40_000), frame(2), frame(3), frame(4), frame(5)] };
const limits = { maxBufferedBytes: 64 * 1024, dropAfterSkips: 2 };

describe("ViewerFeed", () => {
  it("sends header, init and the whole GOP to a socket that keeps up", () => {
    const s = new FakeSocket();
    let served = 0;
    new ViewerFeed(s, "sub", limits, (b) => (served += b)).gop(gop);
    expect(JSON.parse(s.sent[0] as string)).toEqual({
      type: "init",
      codecs: "avc1.42c01e",
      width: 640,
      height: 360,
      rendition: "sub",
    });
    expect(s.sent.slice(1)).toEqual([init.data, ...gop.data]);
    expect(served).toBe(s.sent.reduce((n, d) => n + d.length, 0));
  });

  it("a socket already over the limit at connect gets header and init, no GOP, then resumes at a keyframe", () => {
    const s = new FakeSocket(limits.maxBufferedBytes + 1);
    const feed = new ViewerFeed(s, "main", limits, () => undefined);
    feed.gop(gop);
    expect(s.sent).toHaveLength(2);
    s.queued = 0;
    feed.fragment(frame(6), false); // depends on the skipped GOP
    feed.fragment(frame(7), true);
    expect(s.sent.slice(2)).toEqual([frame(7)]);
  });

  it("stops the burst where the queue passes the limit instead of queueing the whole GOP", () => {
    // The network takes 20 KB per send: the 40 KB keyframe and the next frames pile up past 64 KB.
    const s = new FakeSocket(0, 20_000);
    new ViewerFeed(s, "main", limits, () => undefined).gop({
      init,
      data: [frame(1, 40_000), ...Array.from({ length: 20 }, (_, i) => frame(i + 2, 30_000))],
    });
    const gopSent = s.sent.slice(2);
    expect(gopSent.length).toBeGreaterThan(0);
    expect(gopSent.length).toBeLessThan(21);
    expect(s.queued).toBeLessThanOrEqual(limits.maxBufferedBytes + 30_000);
  });

  it("a socket that stays full is dropped as too slow, as live viewers are", () => {
    const s = new FakeSocket(10 * limits.maxBufferedBytes);
    const feed = new ViewerFeed(s, "main", limits, () => undefined);
    feed.gop(gop); // skip 1
    feed.fragment(frame(6), true); // skip 2
    expect(s.closed).toBeUndefined();
    feed.fragment(frame(7), true); // 3 > 2
    expect(s.closed).toEqual({ code: 4408, reason: "too_slow" });
  });
});

import { describe, expect, it } from "vitest";
import { SlowViewerPolicy } from "../../gateway/src/streaming/ws/slow-viewer-policy.js";

const K = true;
const P = false;

describe("SlowViewerPolicy", () => {
  it("sends while the socket drains", () => {
    const p = new SlowViewerPolicy(1000, 2);
    expect([p.decide(0, K), p.decide(500, P), p.decide(1000, P)]).toEqual(["send", "send", "send"]);
  });

  it("skips while behind and resumes only at a keyframe", () => {
    const p = new SlowViewerPolicy(1000, 3);
    expect(p.decide(5000, P)).toBe("skip");
    expect(p.decide(0, P)).toBe("skip"); // drained, but this frame depends on skipped ones
    expect(p.decide(0, K)).toBe("send");
    expect(p.decide(0, P)).toBe("send");
  });

  it("drops a viewer that is still behind after several keyframes", () => {
    const p = new SlowViewerPolicy(1000, 2);
    expect(p.decide(5000, P)).toBe("skip"); // 1
    expect(p.decide(5000, P)).toBe("skip");
    expect(p.decide(5000, K)).toBe("skip"); // 2
    expect(p.decide(5000, P)).toBe("skip");
    expect(p.decide(5000, K)).toBe("drop"); // 3 > 2
  });

  it("forgets old skips after a healthy GOP", () => {
    const p = new SlowViewerPolicy(1000, 1);
    expect(p.decide(5000, P)).toBe("skip");
    expect(p.decide(0, K)).toBe("send");
    expect(p.decide(0, K)).toBe("send"); // a whole GOP went out: reset
    expect(p.decide(5000, P)).toBe("skip");
    expect(p.decide(0, K)).toBe("send");
  });
});

import { describe, expect, it } from "vitest";
import { catchUp, rateFor } from "../../viewer/src/mse-player.js";

// The WebSocket player's catch-up to the live edge. What broke: it switched playbackRate between 1, 1.05
// and 1.15 several times a second; WebKitGTK makes each change a flushing seek, and its playhead stayed
// ~0.25 s behind the newest frame (glass to glass ~0.4 s against Chromium's ~0.2 s).

const target = 0.08;

describe("rateFor", () => {
  it.each<[string, number, number, number, number]>([
    ["stays at normal speed near the target", 1, target + 0.05, 5000, 1],
    ["catches up when clearly behind", 1, target + 0.2, 5000, catchUp.rate],
    ["does not start again right after the last catch-up", 1, target + 0.2, catchUp.restMs - 1, 1],
    ["keeps the faster rate while still behind", catchUp.rate, target + 0.05, 0, catchUp.rate],
    ["comes back to normal speed once caught up", catchUp.rate, target + 0.01, 0, 1],
  ])("%s", (_what, current, lag, msSinceChange, rate) => {
    expect(rateFor(current, lag, msSinceChange)).toBe(rate);
  });

  it("changes the rate twice per catch-up as the lag shrinks steadily, not on every tick", () => {
    let rate = 1;
    let changedAt = -10_000;
    let changes = 0;
    // 0.5 s behind, caught up at (rate - 1) s per s, sampled every 100 ms, the stream arriving at 1×.
    let lag = 0.5;
    for (let t = 0; t < 10_000; t += 100) {
      const next = rateFor(rate, lag, t - changedAt);
      if (next !== rate) {
        rate = next;
        changedAt = t;
        changes++;
      }
      lag = Math.max(0, lag - (rate - 1) * 0.1);
    }
    expect(changes).toBe(2);
    expect(rate).toBe(1);
    expect(lag).toBeLessThanOrEqual(target + catchUp.leaveBelow);
  });
});

import { describe, expect, it } from "vitest";
import { nextSpot, type Spot } from "../../viewer/src/watermark.js";

function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe("watermark spots", () => {
  it("moves to another quadrant every time and stays inside the stage", () => {
    let spot: Spot | undefined;
    const random = seq(0.99, 0, 0.5, 0.3, 0.7, 0.1, 0.9);
    for (let i = 0; i < 50; i++) {
      const next = nextSpot(random, spot);
      if (spot) expect(next.quadrant).not.toBe(spot.quadrant);
      expect(next.left).toBeGreaterThanOrEqual(5);
      expect(next.left).toBeLessThanOrEqual(95);
      expect(next.top).toBeGreaterThanOrEqual(5);
      expect(next.top).toBeLessThanOrEqual(95);
      spot = next;
    }
  });

  it("places each quadrant on its own half", () => {
    expect(nextSpot(seq(0, 0, 0))).toEqual({ quadrant: 0, left: 5, top: 5 });
    expect(nextSpot(seq(0.5, 0.99, 0.99))).toMatchObject({ quadrant: 2 });
    const q2 = nextSpot(seq(0.5, 0.99, 0.99));
    expect(q2.left).toBeGreaterThanOrEqual(55);
    expect(q2.top).toBeGreaterThanOrEqual(55);
  });
});

import { clockDeltaMs, decodeClockBlocks } from "./clock-blocks.js";

/**
 * Glass-to-glass latency (design.md, "Performance budgets"): the test camera stamps its wall clock into the
 * bottom 20 px of every frame; for every presented frame we read the blocks back and subtract them from our
 * own clock (same machine). Enabled with `?measure=1`; results on `window.__pantau` for tests and benches.
 */
export interface Measurements {
  startedAt: number;
  firstFrameAt: number | undefined;
  frames: number;
  latenciesMs: number[];
  waiting: number;
  errors: string[];
}

declare global {
  interface Window {
    __pantau?: Measurements;
  }
}

export function startMeasuring(video: HTMLVideoElement, readClock: boolean): Measurements {
  const m: Measurements = {
    startedAt: performance.timeOrigin + performance.now(),
    firstFrameAt: undefined,
    frames: 0,
    latenciesMs: [],
    waiting: 0,
    errors: [],
  };
  window.__pantau = m;
  video.addEventListener("waiting", () => {
    if (m.firstFrameAt !== undefined) m.waiting++;
  });
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const onFrame = (now: DOMHighResTimeStamp, meta: VideoFrameCallbackMetadata) => {
    const wall = performance.timeOrigin + (meta.presentationTime || now);
    m.frames++;
    m.firstFrameAt ??= wall;
    if (readClock && ctx && video.videoWidth > 0) {
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (canvas.width !== w) canvas.width = w;
      canvas.height = 20;
      ctx.drawImage(video, 0, h - 20, w, 20, 0, 0, w, 20);
      const stamp = decodeClockBlocks(ctx.getImageData(0, 0, w, 20).data, w, 20);
      if (stamp !== null) m.latenciesMs.push(clockDeltaMs(wall, stamp));
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return m;
}

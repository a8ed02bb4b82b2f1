// The baseline player: what an integrator builds by hand (design.md, "Performance budgets"): hls.js on
// ffmpeg's own HLS output, measured by the same glass-to-glass code as Pantau's player (?edge=1 pushes
// hls.js towards the live edge).
import Hls from "hls.js";
import { startMeasuring } from "../../viewer/src/measure.js";

declare global {
  interface Window {
    /** For the benchmark: hls.js's own latency estimate (playhead to playlist edge) next to glass-to-glass. */
    __hls?: Hls;
  }
}

const params = new URLSearchParams(location.search);
const video = document.getElementById("video") as HTMLVideoElement;
const m = startMeasuring(video, true);
const hls = new Hls(
  params.get("edge") === "1"
    ? { liveSyncDuration: 1, liveMaxLatencyDuration: 2.5, maxLiveSyncPlaybackRate: 1.5 }
    : {},
);
window.__hls = hls;
hls.on(Hls.Events.ERROR, (_e, data) => {
  m.errors.push(`${data.fatal ? "fatal " : ""}${data.details}`);
});
hls.loadSource(params.get("src") ?? "/hls/index.m3u8");
hls.attachMedia(video);
void video.play().catch(() => undefined);

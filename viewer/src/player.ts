import { GuardianPage } from "./guardian.js";
import { isTextKey, t, type Lang, type TextKey } from "./i18n.js";
import { startMeasuring } from "./measure.js";
import { MsePlayer } from "./mse-player.js";
import { browserEngines } from "./engines/engine-choice.js";
import { Playback, type PlaybackPhase } from "./playback.js";
import { httpWatchClient, type RenditionChoice, type Watch } from "./watch-client.js";
import { Watermark } from "./watermark.js";

/**
 * One page, three doors: /watch is the parent's page (their cameras from /api/viewer/me, device cookie);
 * /demo and /dev/player are the development player (every watchable camera, mode and quality pickers).
 */
const params = new URLSearchParams(location.search);
const guardianMode = location.pathname === "/watch";
const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const video = $("video") as HTMLVideoElement;
const statusEl = $("status");
const cameraSelect = $("camera") as HTMLSelectElement;
const modeSelect = $("mode") as HTMLSelectElement;
const renditionSelect = $("rendition") as HTMLSelectElement;
let lang: Lang = params.get("lang") === "en" || localStorage.getItem("pantau.lang") === "en" ? "en" : "id";
let message: ((l: Lang) => string) | undefined;
let demoWatch = false;
const languageListeners: (() => void)[] = [];

function say(m: ((l: Lang) => string) | undefined): void {
  message = m;
  statusEl.textContent = m ? m(lang) : "";
}

function setStatus(key: TextKey | undefined): void {
  say(key === undefined ? undefined : (l) => t(key, l));
}

/** The state badge over the video's corner; "idle" and a stopped picture show none. */
const phaseText: Partial<Record<PlaybackPhase, TextKey>> = {
  connecting: "phaseConnecting",
  live: "phaseLive",
  retrying: "phaseRetrying",
  offline: "phaseOffline",
};
let phase: PlaybackPhase = "idle";

function showPhase(p: PlaybackPhase): void {
  phase = p;
  const el = $("phase");
  const key = phaseText[p];
  el.hidden = key === undefined;
  el.textContent = key === undefined ? "" : t(key, lang);
  el.dataset.phase = p;
  $("stage").dataset.phase = p;
}

function render(): void {
  document.documentElement.lang = lang;
  const switchTo: Lang = lang === "id" ? "en" : "id";
  const langButton = $("lang");
  // Named in the language it switches to, as language pickers are.
  langButton.textContent = switchTo === "en" ? "English" : "Bahasa Indonesia";
  langButton.lang = switchTo;
  langButton.title = t("languageSwitch", lang);
  $("camera-label").textContent = t("camera", lang);
  $("quality-label").textContent = t("quality", lang);
  $("mode-label").textContent = t("mode", lang);
  $("fullscreen").textContent = t("fullscreen", lang);
  for (const o of Array.from(renditionSelect.options)) o.textContent = t(o.value as TextKey, lang);
  if (!guardianMode) {
    const demo = $("demo-label");
    demo.hidden = !demoWatch;
    demo.textContent = t("demo", lang);
  }
  say(message);
  showPhase(phase);
  for (const l of languageListeners) l();
}

const watermark = new Watermark($("watermark"), () => lang);
let guardian: GuardianPage | undefined;
const playback = new Playback(
  {
    status: setStatus,
    refused: (code, cameraId) => {
      if (guardian) guardian.onRefused(code, cameraId);
      else setStatus(isTextKey(code) ? code : "not_authorized");
    },
    watch: (w: Watch) => {
      demoWatch = w.demo;
      if (guardian) guardian.onWatch(w);
      else {
        if (w.watermark !== undefined) watermark.show(w.watermark, w.timeZone);
        render();
      }
    },
    phase: showPhase,
  },
  httpWatchClient,
  browserEngines(video, params.get("debug") === "1"),
  () => video.currentTime,
);

/** A phone that wakes, a tab shown again, a network back: playback picks itself up (playback.ts). */
function followPageLife(): void {
  document.addEventListener("visibilitychange", () => {
    playback.setVisible(document.visibilityState === "visible");
  });
  // A page restored from the back/forward cache is shown without a visibilitychange.
  window.addEventListener("pageshow", () => {
    playback.setVisible(document.visibilityState === "visible");
  });
  window.addEventListener("online", () => {
    playback.setOnline(true);
  });
  window.addEventListener("offline", () => {
    playback.setOnline(false);
  });
  if (!navigator.onLine) playback.setOnline(false);
}

/** The page shell works offline and the app installs (sw.js caches the shell, never media). */
function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err: unknown) => {
    // The page works without it (not installable, no offline shell): worth a line, not a message.
    console.warn("pantau: service worker not registered", err);
  });
}

/** Small screens get the sub-stream first (design.md, "Renditions"): cheap phones on 4G. */
function isPhone(): boolean {
  return window.matchMedia("(max-width: 900px), (pointer: coarse)").matches;
}

function setupFullscreen(): void {
  const button = $("fullscreen");
  const stage = $("stage");
  // The stage, not the video, goes full screen: the watermark must stay over it. iPhone Safari cannot do
  // this for a div, so it gets no button (and no native controls to go around the watermark).
  button.hidden = !document.fullscreenEnabled;
  button.addEventListener("click", () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void stage.requestFullscreen().catch(() => undefined);
  });
}

async function initDev(): Promise<void> {
  const wanted = params.get("camera");
  const start = () => {
    if (cameraSelect.value) playback.play(cameraSelect.value);
    else {
      playback.stop();
      setStatus("noCamera");
    }
  };
  for (const el of [cameraSelect, modeSelect]) el.addEventListener("change", start);
  // With a camera in the link, start at once and fill the camera list while the video loads.
  if (wanted) {
    cameraSelect.add(new Option("…", wanted));
    start();
  }
  const res = await fetch("/api/watchable", { credentials: "same-origin" });
  const list = (await res.json()) as { cameras: { id: string; name: string; demo: boolean }[] };
  for (const c of list.cameras) {
    const existing = Array.from(cameraSelect.options).find((o) => o.value === c.id);
    if (existing) existing.text = c.name;
    else cameraSelect.add(new Option(c.name, c.id));
  }
  if (!wanted) start();
}

function init(): void {
  if (params.get("measure") === "1") startMeasuring(video, true);
  const m = params.get("mode");
  if (m === "hls" || m === "ws") modeSelect.value = m;
  else if (!MsePlayer.supported()) modeSelect.value = "hls";
  playback.mode = modeSelect.value === "hls" ? "hls" : "ws";
  // In LL-HLS mode fetch hls.js now, while the stream URLs are being requested.
  if (playback.mode === "hls") void import("hls.js/light");
  const r = params.get("rendition");
  if (r === "main" || r === "sub" || r === "auto") renditionSelect.value = r;
  else if (guardianMode && isPhone()) renditionSelect.value = "sub";
  playback.rendition = renditionSelect.value as RenditionChoice;

  modeSelect.addEventListener("change", () => {
    playback.mode = modeSelect.value === "hls" ? "hls" : "ws";
  });
  renditionSelect.addEventListener("change", () => {
    playback.rendition = renditionSelect.value as RenditionChoice;
    const id = playback.watching;
    if (id !== undefined) playback.play(id);
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "id" ? "en" : "id";
    localStorage.setItem("pantau.lang", lang);
    render();
  });
  setupFullscreen();
  followPageLife();
  registerServiceWorker();

  if (guardianMode) {
    // Parents choose a camera from their list and need no engine picker.
    $("camera-control").hidden = true;
    $("mode-control").hidden = true;
    guardian = new GuardianPage(
      { lang: () => lang, say, onLanguage: (l) => languageListeners.push(l) },
      playback,
      watermark,
    );
    render();
    guardian.start();
  } else {
    render();
    void initDev();
  }
}

init();

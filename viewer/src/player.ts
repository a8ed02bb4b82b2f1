import type Hls from "hls.js";
import { isTextKey, t, type Lang, type TextKey } from "./i18n.js";
import { startMeasuring } from "./measure.js";
import { MsePlayer } from "./mse-player.js";

interface Watch {
  cameraId: string;
  name: string;
  demo: boolean;
  renditions: string[];
  hls: string;
  ws: string;
  expiresAt: string;
}

const params = new URLSearchParams(location.search);
const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const video = $("video") as HTMLVideoElement;
const statusEl = $("status");
const cameraSelect = $("camera") as HTMLSelectElement;
const modeSelect = $("mode") as HTMLSelectElement;
const renditionSelect = $("rendition") as HTMLSelectElement;
let lang: Lang = params.get("lang") === "en" || localStorage.getItem("pantau.lang") === "en" ? "en" : "id";
let statusKey: TextKey | undefined;
let hls: Hls | undefined;
let watch: Watch | undefined;
let renewTimer: number | undefined;
let retryTimer: number | undefined;
const mse = new MsePlayer(video, {
  onStatus: (code) => {
    setStatus(code !== undefined && isTextKey(code) ? code : undefined);
  },
  onClosed: (_code, reason) => {
    setStatus(isTextKey(reason) ? reason : "reconnecting");
    scheduleRetry();
  },
});

function setStatus(key: TextKey | undefined): void {
  statusKey = key;
  statusEl.textContent = key ? t(key, lang) : "";
}

function render(): void {
  document.documentElement.lang = lang;
  $("lang").textContent = lang === "id" ? "EN" : "ID";
  $("camera-label").textContent = t("camera", lang);
  $("quality-label").textContent = t("quality", lang);
  $("mode-label").textContent = t("mode", lang);
  for (const o of Array.from(renditionSelect.options)) o.textContent = t(o.value as TextKey, lang);
  const demo = $("demo-label");
  demo.hidden = !watch?.demo;
  demo.textContent = t("demo", lang);
  setStatus(statusKey);
}

async function api<T>(path: string, method = "GET"): Promise<T> {
  const res = await fetch(path, { method, credentials: "same-origin" });
  const body = (await res.json()) as T & { error?: { code: string } };
  if (!res.ok) throw new Error(body.error?.code ?? String(res.status));
  return body;
}

async function requestWatch(cameraId: string): Promise<Watch> {
  const r = renditionSelect.value;
  const prefer = r === "main" || r === "sub" ? `?prefer=${r}` : "";
  const w = await api<Watch>(`/api/watch/${encodeURIComponent(cameraId)}${prefer}`, "POST");
  // Renew a minute before the token expires; hls.js picks the new token up in its requests (xhrSetup).
  if (renewTimer !== undefined) clearTimeout(renewTimer);
  const ms = Math.max(10_000, Date.parse(w.expiresAt) - Date.now() - 60_000);
  renewTimer = window.setTimeout(() => {
    void requestWatch(cameraId).then((next) => (watch = next));
  }, ms);
  return w;
}

const tokenOf = (url: string) => /\/live\/([^/]+)\//.exec(url)?.[1];

function withRendition(w: Watch, kind: "hls" | "ws"): string {
  const r = renditionSelect.value;
  if (r === "auto" || !w.renditions.includes(r)) return kind === "hls" ? w.hls : w.ws;
  return (kind === "hls" ? w.hls : w.ws).replace(/\/(index\.m3u8|ws)$/, `/${r}/$1`);
}

function stopPlayback(): void {
  mse.stop();
  hls?.destroy();
  hls = undefined;
  if (retryTimer !== undefined) clearTimeout(retryTimer);
  retryTimer = undefined;
}

function scheduleRetry(): void {
  if (retryTimer !== undefined) return;
  retryTimer = window.setTimeout(() => {
    retryTimer = undefined;
    void start();
  }, 2000);
}

/**
 * LL-HLS through hls.js, loaded only when needed (it is most of the page's weight). Always through the
 * master playlist: loading a media playlist directly made hls.js fetch it twice at once, see no update,
 * and wait two target durations before its first blocking reload (measured on a cold start).
 */
async function startHlsJs(w: Watch): Promise<boolean> {
  const { default: HlsJs } = await import("hls.js");
  if (!HlsJs.isSupported()) return false;
  const wanted = renditionSelect.value;
  const player = new HlsJs({
    lowLatencyMode: true,
    autoStartLoad: false,
    // Our fMP4 needs no transmuxing; the worker would re-parse all of hls.js first (~0.5 s measured).
    enableWorker: false,
    debug: params.get("debug") === "1",
    backBufferLength: 10,
    maxLiveSyncPlaybackRate: 1.5,
    // The stream token lives in the path; after a renewal, send the new one on every request.
    xhrSetup: (xhr, url) => {
      const current = watch && tokenOf(watch.hls);
      const used = tokenOf(url);
      if (current && used && current !== used)
        xhr.open("GET", url.replace(`/live/${used}/`, `/live/${current}/`), true);
    },
  });
  hls = player;
  player.on(HlsJs.Events.MANIFEST_PARSED, (_e, data) => {
    const index = data.levels.findIndex((l) => l.url.some((u) => u.includes(`/${wanted}/`)));
    if (index >= 0) {
      player.startLevel = index;
      player.loadLevel = index;
    }
    player.startLoad(-1);
  });
  player.on(HlsJs.Events.ERROR, (_e, data) => {
    if (!data.fatal) return;
    const code = (data.response as { code?: number } | undefined)?.code;
    setStatus(code === 403 ? "token_expired" : "reconnecting");
    scheduleRetry();
  });
  // `prefer` lets the gateway warm up the variant this player will ask for first.
  player.loadSource(wanted === "main" || wanted === "sub" ? `${w.hls}?prefer=${wanted}` : w.hls);
  player.attachMedia(video);
  return true;
}

async function start(): Promise<void> {
  stopPlayback();
  const cameraId = cameraSelect.value;
  if (!cameraId) {
    setStatus("noCamera");
    return;
  }
  setStatus("loading");
  try {
    watch = await requestWatch(cameraId);
  } catch (err) {
    const code = (err as Error).message;
    setStatus(isTextKey(code) ? code : "reconnecting");
    scheduleRetry();
    return;
  }
  render();
  const w = watch;
  const mode = modeSelect.value;
  if (mode === "ws" && MsePlayer.supported()) {
    mse.play(withRendition(w, "ws"));
  } else if (await startHlsJs(w)) {
    // hls.js plays it (MSE or, on iOS 17.1+, ManagedMediaSource).
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = withRendition(w, "hls");
  } else {
    setStatus("unsupported");
    return;
  }
  void video.play().catch(() => undefined);
}

async function init(): Promise<void> {
  if (params.get("measure") === "1") startMeasuring(video, true);
  if (params.get("mode") === "hls" || params.get("mode") === "ws")
    modeSelect.value = params.get("mode") as string;
  else if (!MsePlayer.supported()) modeSelect.value = "hls";
  // In LL-HLS mode fetch hls.js now, while the stream URLs are being requested.
  if (modeSelect.value === "hls") void import("hls.js");
  const r = params.get("rendition");
  if (r === "main" || r === "sub") renditionSelect.value = r;
  video.addEventListener("playing", () => {
    setStatus(undefined);
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "id" ? "en" : "id";
    localStorage.setItem("pantau.lang", lang);
    render();
  });
  for (const el of [cameraSelect, modeSelect, renditionSelect])
    el.addEventListener("change", () => void start());
  render();
  // With a camera in the link, start at once and fill the camera list while the video loads.
  const wanted = params.get("camera");
  if (wanted) cameraSelect.add(new Option("…", wanted));
  const playing = wanted ? start() : Promise.resolve();
  const list = await api<{ cameras: { id: string; name: string; demo: boolean }[] }>("/api/watchable");
  for (const c of list.cameras) {
    const existing = Array.from(cameraSelect.options).find((o) => o.value === c.id);
    if (existing) existing.text = c.name;
    else cameraSelect.add(new Option(c.name, c.id));
  }
  await playing;
  if (!wanted) await start();
}

void init();

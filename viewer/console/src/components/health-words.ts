import type { Messages } from "../api.js";
import type { CameraState } from "./events.js";

/** A camera state in words and the badge tone that goes with it. */
export const stateWords: Record<CameraState, Messages & { tone: "ok" | "warn" | "bad" | "muted" }> = {
  online: { id: "Daring", en: "Online", tone: "ok" },
  degraded: { id: "Terganggu", en: "Degraded", tone: "warn" },
  offline: { id: "Luring", en: "Offline", tone: "bad" },
  paused: { id: "Dijeda", en: "Paused", tone: "muted" },
  disabled: { id: "Nonaktif", en: "Disabled", tone: "muted" },
  unknown: { id: "Belum diketahui", en: "Unknown", tone: "muted" },
};

/** The reason codes the health monitor stores (health/camera-state.ts, health/rtsp-probe.ts), in words. */
const reasonWords: Record<string, Messages> = {
  unreachable: {
    id: "Kamera tidak menjawab di jaringan: periksa listrik, kabel dan alamatnya.",
    en: "The camera does not answer on the network: check its power, cable and address.",
  },
  timeout: {
    id: "Kamera terlalu lama menjawab.",
    en: "The camera took too long to answer.",
  },
  auth_failed: {
    id: "Kamera menolak nama pengguna atau kata sandinya.",
    en: "The camera refused its username or password.",
  },
  bad_reply: { id: "Jawaban kamera tidak bisa dibaca.", en: "The camera's answer could not be read." },
  too_large: { id: "Jawaban kamera terlalu besar.", en: "The camera's answer was too large." },
  not_found: {
    id: "Alamat aliran tidak ada di kamera: periksa jalur RTSP-nya.",
    en: "The stream address does not exist on the camera: check its RTSP path.",
  },
  not_allowed: {
    id: "Alamat kamera di luar jaringan yang diizinkan.",
    en: "The camera's address is outside the allowed networks.",
  },
  no_video: { id: "Kamera tidak mengirim video.", en: "The camera sends no video." },
  unsupported: {
    id: "Kamera memakai cara yang tidak didukung.",
    en: "The camera uses something unsupported.",
  },
  low_fps: { id: "Gambar per detik rendah.", en: "Low frame rate." },
  reconnects: { id: "Sering tersambung ulang.", en: "Reconnects often." },
  clock_skew: { id: "Jam kamera jauh meleset.", en: "The camera's clock is far off." },
  stream_errors: { id: "Aliran sering rusak.", en: "The stream has frequent errors." },
  paused: { id: "Kelas sedang dijeda untuk privasi.", en: "The classroom is paused for privacy." },
  disabled: { id: "Kamera dinonaktifkan.", en: "The camera is disabled." },
  recovered: { id: "Pulih.", en: "Recovered." },
  online: { id: "Menjawab dengan baik.", en: "Answering well." },
  reachable: { id: "Menjawab dengan baik.", en: "Answering well." },
  not_publishing: {
    id: "Tidak ada yang mengirim aliran RTMP kamera ini: periksa NVR dan URL publish-nya.",
    en: "Nothing is pushing this camera's RTMP stream: check the NVR and its publish URL.",
  },
  probe_failed: { id: "Pemeriksaan kamera gagal.", en: "Checking the camera failed." },
  offline: { id: "Luring.", en: "Offline." },
  gateway_stopped: { id: "Gateway sempat berhenti.", en: "The gateway was stopped." },
  // A running rendition's errors (streaming/rendition-supervisor.ts), as the dashboard shows them.
  stream_error: { id: "Aliran video kamera bermasalah.", en: "The camera's video stream has errors." },
  stalled: { id: "Video terhenti.", en: "The video stalled." },
  failed: { id: "Video gagal dimulai.", en: "The video failed to start." },
  backoff: { id: "Menunggu untuk mencoba lagi.", en: "Waiting to try again." },
  flapping: { id: "Keadaannya sering berganti.", en: "Its state keeps changing." },
};

/** Why a camera is as it is, in words: each known code (degraded joins several with commas), else the code. */
export function reasonText(reason: string, lang: "id" | "en"): string {
  if (reason === "") return "";
  return reason
    .split(",")
    .map((code) => reasonWords[code]?.[lang] ?? code)
    .join(" ");
}

/** A bitrate in bits per second as people read it. */
export function formatBitrate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return "—";
  return bps >= 1_000_000
    ? `${(bps / 1_000_000).toFixed(1)} Mbit/s`
    : `${String(Math.round(bps / 1000))} kbit/s`;
}

/** An uptime ratio as a percentage; none counted is "—", never 0 % or 100 %. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "—";
  return `${(ratio * 100).toFixed(ratio >= 0.999 || ratio === 0 ? 0 : 1)} %`;
}

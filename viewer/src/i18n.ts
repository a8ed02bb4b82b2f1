/** User-facing text in Bahasa Indonesia (default) and English. */
export type Lang = "id" | "en";

const text = {
  loading: { id: "Memuat video…", en: "Loading video…" },
  starting: { id: "Kamera sedang dinyalakan…", en: "Starting the camera…" },
  reconnecting: { id: "Sambungan terputus, mencoba lagi…", en: "Connection lost, retrying…" },
  noCamera: { id: "Tidak ada kamera yang bisa ditonton.", en: "There is no camera you can watch." },
  unsupported: {
    id: "Peramban ini tidak dapat memutar video ini.",
    en: "This browser cannot play this video.",
  },
  demo: { id: "DEMO — kamera uji, bukan kelas sungguhan", en: "DEMO — test camera, not a real classroom" },
  camera: { id: "Kamera", en: "Camera" },
  quality: { id: "Kualitas", en: "Quality" },
  mode: { id: "Mode", en: "Mode" },
  auto: { id: "Otomatis", en: "Automatic" },
  sub: { id: "Hemat data", en: "Data saver" },
  main: { id: "Tinggi", en: "High" },
  latency: { id: "Jeda", en: "Delay" },
  // Reason codes from the gateway (error.code, WebSocket close reason).
  token_expired: { id: "Tautan video kedaluwarsa, memuat ulang…", en: "The video link expired, reloading…" },
  token_invalid: { id: "Tautan video tidak sah.", en: "The video link is not valid." },
  camera_unavailable: { id: "Kamera tidak tersedia.", en: "The camera is not available." },
  not_authorized: { id: "Anda tidak berhak menonton kamera ini.", en: "You may not watch this camera." },
  stream_starting: {
    id: "Kamera belum mengirim gambar, mencoba lagi…",
    en: "The camera is not sending video yet, retrying…",
  },
  stream_stalled: {
    id: "Gambar kamera terhenti, mencoba lagi…",
    en: "The camera stopped sending video, retrying…",
  },
  too_slow: {
    id: "Koneksi terlalu lambat, menyambung ulang…",
    en: "The connection is too slow, reconnecting…",
  },
} as const;

export type TextKey = keyof typeof text;

export function t(key: TextKey, lang: Lang): string {
  return text[key][lang];
}

export function isTextKey(key: string): key is TextKey {
  return key in text;
}

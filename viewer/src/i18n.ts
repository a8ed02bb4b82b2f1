/** User-facing text in Bahasa Indonesia (default) and English. */
export type Lang = "id" | "en";

const text = {
  loading: { id: "Menyambungkan ke kamera…", en: "Connecting to the camera…" },
  starting: { id: "Kamera sedang dinyalakan…", en: "Starting the camera…" },
  reconnecting: { id: "Sambungan terputus, menyambung lagi…", en: "Connection lost, reconnecting…" },
  offline: {
    id: "Tidak ada internet. Video lanjut sendiri saat tersambung lagi.",
    en: "No internet connection. The video resumes by itself once you are back online.",
  },
  // The state badge over the video (PlaybackPhase).
  phaseConnecting: { id: "Menyambung", en: "Connecting" },
  phaseLive: { id: "Langsung", en: "Live" },
  phaseRetrying: { id: "Menyambung lagi", en: "Reconnecting" },
  phaseOffline: { id: "Tanpa internet", en: "Offline" },
  languageSwitch: { id: "Ganti bahasa ke English", en: "Switch language to Bahasa Indonesia" },
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
  // Reasons the gateway refuses or cuts a parent's stream (POST /api/watch, media 403, WebSocket 4403).
  outside_hours: { id: "Di luar jam tayang.", en: "Outside viewing hours." },
  holiday: {
    id: "Hari libur sekolah, kamera tidak ditayangkan.",
    en: "School holiday: the camera is not shown.",
  },
  paused: { id: "Kamera dijeda sementara demi privasi.", en: "The camera is paused for privacy." },
  camera_offline: { id: "Kamera sedang mati.", en: "The camera is offline." },
  revoked: {
    id: "Akses Anda sudah dicabut. Hubungi sekolah bila ini keliru.",
    en: "Your access has been revoked. Contact the school if this is a mistake.",
  },
  no_device: {
    id: "Perangkat ini belum terdaftar. Buka lagi tautan atau kode QR dari sekolah.",
    en: "This device is not registered. Open the link or QR code from the school again.",
  },
  viewer_limit: {
    id: "Penonton kamera ini sedang penuh. Coba lagi sebentar lagi.",
    en: "Too many people are watching this camera. Try again in a moment.",
  },
  socket_limit: {
    id: "Video ini sudah terbuka di jendela atau tab lain di perangkat ini. Tutup salah satunya, lalu coba lagi.",
    en: "This video is already open in other windows or tabs on this device. Close one, then try again.",
  },
  address_limit: {
    id: "Terlalu banyak sambungan video dari jaringan Anda saat ini. Coba lagi sebentar lagi.",
    en: "Too many video connections from your network right now. Try again in a moment.",
  },
  session_ended: {
    id: "Sesi Anda sudah berakhir. Silakan masuk lagi.",
    en: "Your session has ended. Please sign in again.",
  },
  rate_limited: { id: "Terlalu sering mencoba. Tunggu sebentar…", en: "Too many attempts. Please wait…" },
  // Guardian page (/watch). {when} is a time formatted in the school's time zone (schedule-text.ts).
  hello: { id: "Halo, {name}", en: "Hello, {name}" },
  loadingList: { id: "Memuat daftar kamera…", en: "Loading your cameras…" },
  listRetry: {
    id: "Daftar kamera tidak dapat dimuat, mencoba lagi…",
    en: "Could not load your cameras, retrying…",
  },
  noCamerasAssigned: {
    id: "Sekolah belum menetapkan kamera kelas untuk Anda. Silakan hubungi sekolah.",
    en: "The school has not assigned a classroom camera to you yet. Please contact the school.",
  },
  live: { id: "Tayang sekarang — ketuk untuk menonton", en: "Live now — tap to watch" },
  liveUntil: {
    id: "Tayang sekarang sampai {when} — ketuk untuk menonton",
    en: "Live now until {when} — tap to watch",
  },
  watching: { id: "Sedang ditonton", en: "Watching" },
  outsideHoursBack: { id: "Di luar jam tayang, kembali {when}", en: "Outside viewing hours, back {when}" },
  holidayBack: { id: "Libur sekolah, kembali {when}", en: "School holiday, back {when}" },
  pausedUntil: { id: "Dijeda demi privasi sampai {when}", en: "Paused for privacy until {when}" },
  viewableAgain: { id: "Bisa ditonton lagi {when}.", en: "Viewable again {when}." },
  today: { id: "pukul {time}", en: "today at {time}" },
  tomorrow: { id: "besok pukul {time}", en: "tomorrow at {time}" },
  onDay: { id: "{day} pukul {time}", en: "{day} at {time}" },
  fullscreen: { id: "Layar penuh", en: "Full screen" },
} as const;

export type TextKey = keyof typeof text;

export function t(key: TextKey, lang: Lang): string {
  return text[key][lang];
}

/** t() with `{name}` placeholders filled in. */
export function tf(key: TextKey, lang: Lang, vars: Record<string, string>): string {
  return t(key, lang).replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

export function isTextKey(key: string): key is TextKey {
  // Not `in`: "constructor" would match through the prototype. Not Object.hasOwn: Safari < 15.4.
  return Object.prototype.hasOwnProperty.call(text, key);
}

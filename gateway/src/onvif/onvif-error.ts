import type { Explanation } from "../common/explanation.js";

/** Why talking to a camera failed, as a school admin can act on it. */
export type OnvifErrorCode =
  | "onvif_unreachable"
  | "onvif_timeout"
  | "onvif_not_onvif"
  | "onvif_bad_reply"
  | "onvif_auth_failed"
  | "onvif_not_supported"
  | "onvif_no_profiles"
  | "onvif_clock_far_off"
  | "stream_unreachable";

const texts: Record<OnvifErrorCode, Explanation> = {
  onvif_unreachable: {
    id: "Kamera tidak dapat dihubungi di alamat ini. Periksa alamat IP, kabel jaringan dan daya kamera.",
    en: "The camera cannot be reached at this address. Check its IP address, network cable and power.",
  },
  onvif_timeout: {
    id: "Kamera tidak menjawab tepat waktu. Kamera mungkin sibuk atau jaringannya lambat; coba lagi.",
    en: "The camera did not answer in time. It may be busy or the network slow; try again.",
  },
  onvif_not_onvif: {
    id: "Tidak ada layanan ONVIF di alamat ini. Aktifkan ONVIF di pengaturan kamera, atau tambahkan kamera dengan URL RTSP.",
    en: "There is no ONVIF service at this address. Turn ONVIF on in the camera's settings, or add the camera by its RTSP URL.",
  },
  onvif_bad_reply: {
    id: "Kamera mengirim jawaban yang tidak dapat dibaca. Perbarui firmware kamera atau tambahkan dengan URL RTSP.",
    en: "The camera sent a reply that cannot be read. Update its firmware or add it by its RTSP URL.",
  },
  onvif_auth_failed: {
    id: "Kamera menolak nama pengguna atau kata sandi. Periksa akun ONVIF di pengaturan kamera.",
    en: "The camera refused the username or password. Check the ONVIF account in the camera's settings.",
  },
  onvif_not_supported: {
    id: "Kamera tidak mendukung perintah ONVIF yang diperlukan. Tambahkan kamera dengan URL RTSP.",
    en: "The camera does not support an ONVIF call Pantau needs. Add the camera by its RTSP URL.",
  },
  onvif_no_profiles: {
    id: "Kamera tidak memiliki profil video. Buat profil media di pengaturan kamera.",
    en: "The camera has no video profiles. Create a media profile in the camera's settings.",
  },
  onvif_clock_far_off: {
    id: "Jam kamera sangat berbeda dari jam server. Pantau sudah menyesuaikannya, tetapi aturlah jam kamera (NTP).",
    en: "The camera's clock is far off the server's. Pantau corrected for it, but set the camera's clock (NTP).",
  },
  stream_unreachable: {
    id: "Video kamera tidak dapat dibuka. Periksa apakah aliran RTSP kamera aktif.",
    en: "The camera's video stream cannot be opened. Check that the camera's RTSP stream is on.",
  },
};

/** The sentence shown for a code, in Indonesian and English. */
export function explain(code: OnvifErrorCode): Explanation {
  return texts[code];
}

/** A failed ONVIF exchange: a stable code, the person-facing texts, and a technical detail for logs. */
export class OnvifError extends Error {
  constructor(
    readonly code: OnvifErrorCode,
    /** What exactly happened (never a password), e.g. `HTTP 404 from /onvif/device_service`. */
    readonly detail: string,
    /** A more exact sentence than the code's usual one, when the cause is known to be narrower or wider. */
    readonly messages: Explanation = texts[code],
  ) {
    super(`${messages.en} (${detail})`);
    this.name = "OnvifError";
  }
}

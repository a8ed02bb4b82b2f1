import type { Explanation } from "../common/explanation.js";

export type AlertKind = "offline" | "recovery" | "reminder" | "drift" | "flapping" | "test";

/** One thing a person should hear about a school's camera (or the school), as the health monitor raises it. */
export interface Alert {
  kind: AlertKind;
  schoolId: string;
  schoolName: string;
  cameraId?: string;
  cameraName?: string;
  /** When it happened (ms since the epoch). */
  at: number;
  /** Since when the state holds: the start of an outage for `offline`, `recovery` and `reminder`. */
  since?: number;
  /** Why, in a few words (the health monitor's transition reason). */
  reason: string;
  detail?: Record<string, unknown>;
  /** IANA zone the times are written in; default Asia/Jakarta (WIB). */
  timeZone?: string;
}

export type Lang = keyof Explanation;

const defaultZone = "Asia/Jakarta";
const locale: Record<Lang, string> = { id: "id-ID", en: "en-GB" };

function time(ms: number, lang: Lang, zone: string): string {
  return new Intl.DateTimeFormat(locale[lang], {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: zone,
    timeZoneName: "short",
  }).format(ms);
}

/** "2 jam 5 menit" / "2 h 5 min"; under a minute is "< 1 menit" / "< 1 min". */
export function durationText(ms: number, lang: Lang): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return lang === "id" ? "< 1 menit" : "< 1 min";
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const units = lang === "id" ? ["hari", "jam", "menit"] : ["d", "h", "min"];
  return [d, h, m]
    .map((n, i) => (n > 0 ? `${String(n)} ${units[i] ?? ""}` : ""))
    .filter((s) => s !== "")
    .join(" ");
}

/** One alert as a sentence a school admin or operator reads on a phone, in one language. */
export function alertText(alert: Alert, lang: Lang): string {
  const zone = alert.timeZone ?? defaultZone;
  const at = time(alert.at, lang, zone);
  const since = alert.since ?? alert.at;
  const down = durationText(alert.at - since, lang);
  const id = lang === "id";
  const camera =
    alert.cameraName === undefined
      ? id
        ? `Sekolah ${alert.schoolName}`
        : `School ${alert.schoolName}`
      : id
        ? `Kamera "${alert.cameraName}" (${alert.schoolName})`
        : `Camera "${alert.cameraName}" (${alert.schoolName})`;
  const reason = alert.reason === "" ? "" : id ? ` Penyebab: ${alert.reason}.` : ` Reason: ${alert.reason}.`;
  switch (alert.kind) {
    case "offline":
      return id
        ? `🔴 ${camera} mati (offline) sejak ${time(since, lang, zone)}.${reason}`
        : `🔴 ${camera} is offline since ${time(since, lang, zone)}.${reason}`;
    case "recovery":
      return id
        ? `🟢 ${camera} kembali online pukul ${at}, setelah mati ${down}.`
        : `🟢 ${camera} is back online at ${at}, after ${down} offline.`;
    case "reminder":
      return id
        ? `⏰ ${camera} masih mati (offline) sejak ${time(since, lang, zone)}, sudah ${down}.${reason}`
        : `⏰ ${camera} is still offline since ${time(since, lang, zone)}, for ${down} now.${reason}`;
    case "drift":
      return id
        ? `⚠️ ${camera} berubah (${at}): ${alert.reason}.`
        : `⚠️ ${camera} changed (${at}): ${alert.reason}.`;
    case "flapping":
      return id
        ? `🔁 ${camera} sering putus-sambung (${at}).${reason}`
        : `🔁 ${camera} keeps going offline and online (${at}).${reason}`;
    case "test":
      return id
        ? `✅ Pesan uji dari Pantau untuk ${alert.schoolName} (${at}): saluran peringatan ini berfungsi.`
        : `✅ Test message from Pantau for ${alert.schoolName} (${at}): this alert channel works.`;
  }
}

/** The text of one message (a school's alerts grouped), in one language: a heading, then a line per alert. */
export function groupText(schoolName: string, alerts: readonly Alert[], lang: Lang): string {
  const lines = alerts.map((a) => alertText(a, lang));
  if (alerts.length === 1) return lines[0] ?? "";
  const head =
    lang === "id"
      ? `Pantau — ${schoolName}: ${String(alerts.length)} peringatan`
      : `Pantau — ${schoolName}: ${String(alerts.length)} alerts`;
  return [head, ...lines.map((l) => `• ${l}`)].join("\n");
}

/** Both languages, Bahasa Indonesia first: what every channel sends. */
export function messageText(schoolName: string, alerts: readonly Alert[]): Explanation {
  return { id: groupText(schoolName, alerts, "id"), en: groupText(schoolName, alerts, "en") };
}

/** A short subject line (e-mail), both languages. */
export function subjectText(schoolName: string, alerts: readonly Alert[]): string {
  const first = alerts[0];
  const what: Record<AlertKind, [string, string]> = {
    offline: ["Kamera mati", "Camera offline"],
    recovery: ["Kamera kembali online", "Camera back online"],
    reminder: ["Kamera masih mati", "Camera still offline"],
    drift: ["Kamera berubah", "Camera changed"],
    flapping: ["Kamera putus-sambung", "Camera flapping"],
    test: ["Pesan uji", "Test message"],
  };
  const [id, en] =
    alerts.length === 1 && first
      ? what[first.kind]
      : [`${String(alerts.length)} peringatan`, `${String(alerts.length)} alerts`];
  return `[Pantau] ${schoolName}: ${id} / ${en}`;
}

import { isTextKey, t, tf, type Lang } from "./i18n.js";

/** A guardian's camera as `GET /api/viewer/me` lists it. */
export interface ViewerCamera {
  id: string;
  name: string;
  demo: boolean;
  classroom: { id: string; name: string };
  school: { id: string; name: string; timeZone: string };
  renditions: string[];
  status: "viewable" | "outside_hours" | "holiday" | "paused" | "camera_offline";
  nextViewableAt: string | null;
  pausedUntil: string | null;
  windowEndsAt: string | null;
}

const fallbackTimeZone = "Asia/Jakarta";
const locales: Record<Lang, string> = { id: "id-ID", en: "en-GB" };
const dayMs = 86_400_000;

function validTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz;
  } catch {
    return fallbackTimeZone;
  }
}

/** Days since the epoch of the calendar date `at` falls on in `timeZone`. */
function calendarDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "numeric",
    day: "numeric",
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.round(Date.UTC(n("year"), n("month") - 1, n("day")) / dayMs);
}

/**
 * When something happens, as a parent reads it: "pukul 07.00" today, "besok pukul 07.00", "Senin pukul
 * 07.00" within a week, else with the date. Days are the school's calendar days (a parent's phone may sit
 * in another zone or have its clock wrong: `now` is the server's time); the zone is named only when the
 * viewer's own differs.
 */
export function formatWhen(
  at: Date,
  now: Date,
  schoolTimeZone: string,
  lang: Lang,
  viewerTimeZone?: string,
): string {
  const timeZone = validTimeZone(schoolTimeZone);
  const locale = locales[lang];
  const time = new Intl.DateTimeFormat(locale, {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(viewerTimeZone !== undefined && viewerTimeZone !== timeZone ? { timeZoneName: "short" } : {}),
  }).format(at);
  const days = calendarDay(at, timeZone) - calendarDay(now, timeZone);
  if (days <= 0) return tf("today", lang, { time });
  if (days === 1) return tf("tomorrow", lang, { time });
  const day = new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: "long",
    ...(days < 7 ? {} : { day: "numeric", month: "long" }),
  }).format(at);
  return tf("onDay", lang, { day, time });
}

function when(
  iso: string | null,
  cam: ViewerCamera,
  now: Date,
  lang: Lang,
  viewerTz?: string,
): string | undefined {
  if (iso === null) return undefined;
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? undefined : formatWhen(at, now, cam.school.timeZone, lang, viewerTz);
}

/** The plain one-line status under a camera in the guardian's list. */
export function statusLine(cam: ViewerCamera, now: Date, lang: Lang, viewerTz?: string): string {
  switch (cam.status) {
    case "viewable": {
      const until = when(cam.windowEndsAt, cam, now, lang, viewerTz);
      return until === undefined ? t("live", lang) : tf("liveUntil", lang, { when: until });
    }
    case "outside_hours": {
      const back = when(cam.nextViewableAt, cam, now, lang, viewerTz);
      return back === undefined ? t("outside_hours", lang) : tf("outsideHoursBack", lang, { when: back });
    }
    case "holiday": {
      const back = when(cam.nextViewableAt, cam, now, lang, viewerTz);
      return back === undefined ? t("holiday", lang) : tf("holidayBack", lang, { when: back });
    }
    case "paused": {
      const until = when(cam.pausedUntil ?? cam.nextViewableAt, cam, now, lang, viewerTz);
      return until === undefined ? t("paused", lang) : tf("pausedUntil", lang, { when: until });
    }
    case "camera_offline":
      return t("camera_offline", lang);
    default:
      // The gateway also reports its other refusal codes here (not_authorized, camera_unavailable, …).
      return t(isTextKey(cam.status) ? cam.status : "camera_unavailable", lang);
  }
}

/** "Viewable again Monday at 07:00." for a camera that is not viewable now and says when it will be. */
export function viewableAgain(
  cam: ViewerCamera,
  now: Date,
  lang: Lang,
  viewerTz?: string,
): string | undefined {
  if (cam.status === "viewable") return undefined;
  const at = when(
    cam.status === "paused" ? (cam.pausedUntil ?? cam.nextViewableAt) : cam.nextViewableAt,
    cam,
    now,
    lang,
    viewerTz,
  );
  return at === undefined ? undefined : tf("viewableAgain", lang, { when: at });
}

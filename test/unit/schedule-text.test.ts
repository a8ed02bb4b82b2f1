import { describe, expect, it } from "vitest";
import { formatWhen, statusLine, viewableAgain, type ViewerCamera } from "../../viewer/src/schedule-text.js";

const jakarta = "Asia/Jakarta";

function cam(over: Partial<ViewerCamera>): ViewerCamera {
  return {
    id: "c1",
    name: "Kamera depan",
    demo: false,
    classroom: { id: "k1", name: "Kelas 2B" },
    school: { id: "s1", name: "SD Negeri 1", timeZone: jakarta },
    renditions: ["main", "sub"],
    status: "viewable",
    nextViewableAt: null,
    pausedUntil: null,
    windowEndsAt: null,
    ...over,
  };
}

describe("formatWhen: days are the school's calendar days", () => {
  // Monday 12 May 2025. 07:00 WIB = 00:00 UTC.
  const tuesday7 = new Date("2025-05-13T00:00:00Z");

  it.each([
    // [now (UTC), lang, expected]
    ["2025-05-12T16:30:00Z", "id", "besok pukul 07.00"], // Monday 23:30 WIB
    ["2025-05-12T16:30:00Z", "en", "tomorrow at 07:00"],
    // Tuesday 01:00 WIB is still Monday in UTC: "today", not "tomorrow".
    ["2025-05-12T18:00:00Z", "id", "pukul 07.00"],
    ["2025-05-12T18:00:00Z", "en", "today at 07:00"],
    // Saturday 14:00 WIB → Tuesday: a weekday name.
    ["2025-05-10T07:00:00Z", "id", "Selasa pukul 07.00"],
    ["2025-05-10T07:00:00Z", "en", "Tuesday at 07:00"],
    // A week or more away (after a holiday): with the date.
    ["2025-05-01T07:00:00Z", "id", "Selasa, 13 Mei pukul 07.00"],
    ["2025-05-01T07:00:00Z", "en", "Tuesday 13 May at 07:00"],
  ] as const)("now %s, %s → %s", (now, lang, expected) => {
    expect(formatWhen(tuesday7, new Date(now), jakarta, lang)).toBe(expected);
  });

  it("crosses midnight in the school's zone, not the viewer's: 06:30 WITA next day is 'besok'", () => {
    // Monday 23:00 WITA (UTC+8) → Tuesday 06:30 WITA.
    const at = new Date("2025-05-12T22:30:00Z");
    expect(formatWhen(at, new Date("2025-05-12T15:00:00Z"), "Asia/Makassar", "id")).toBe("besok pukul 06.30");
  });

  it("names the zone when the viewer's phone is in another one", () => {
    expect(formatWhen(tuesday7, new Date("2025-05-12T16:30:00Z"), jakarta, "id", "Asia/Makassar")).toBe(
      "besok pukul 07.00 WIB",
    );
    expect(formatWhen(tuesday7, new Date("2025-05-12T16:30:00Z"), jakarta, "id", jakarta)).toBe(
      "besok pukul 07.00",
    );
  });

  it("falls back to Asia/Jakarta for a zone the browser does not know", () => {
    expect(formatWhen(tuesday7, new Date("2025-05-12T16:30:00Z"), "Mars/Olympus", "en")).toBe(
      "tomorrow at 07:00",
    );
  });
});

describe("statusLine", () => {
  const now = new Date("2025-05-12T05:00:00Z"); // Monday 12:00 WIB

  it.each([
    [cam({ status: "viewable" }), "id", "Tayang sekarang — ketuk untuk menonton"],
    [
      cam({ status: "viewable", windowEndsAt: "2025-05-12T07:00:00Z" }),
      "en",
      "Live now until today at 14:00 — tap to watch",
    ],
    [
      cam({ status: "outside_hours", nextViewableAt: "2025-05-13T00:00:00Z" }),
      "id",
      "Di luar jam tayang, kembali besok pukul 07.00",
    ],
    [cam({ status: "outside_hours" }), "en", "Outside viewing hours."],
    [
      cam({ status: "holiday", nextViewableAt: "2025-05-19T00:00:00Z" }),
      "en",
      "School holiday, back Monday 19 May at 07:00",
    ],
    [
      cam({ status: "paused", pausedUntil: "2025-05-12T05:30:00Z" }),
      "id",
      "Dijeda demi privasi sampai pukul 12.30",
    ],
    [cam({ status: "paused" }), "en", "The camera is paused for privacy."],
    [cam({ status: "camera_offline" }), "id", "Kamera sedang mati."],
    // Codes beyond the five statuses that the gateway may report as a camera's status.
    [cam({ status: "not_authorized" as ViewerCamera["status"] }), "en", "You may not watch this camera."],
    [cam({ status: "something_new" as ViewerCamera["status"] }), "en", "The camera is not available."],
  ] as const)("%#: %s", (c, lang, expected) => {
    expect(statusLine(c, now, lang)).toBe(expected);
  });

  it("says when a refused camera is viewable again", () => {
    const c = cam({ status: "paused", pausedUntil: "2025-05-12T05:30:00Z" });
    expect(viewableAgain(c, now, "en")).toBe("Viewable again today at 12:30.");
    expect(viewableAgain(cam({ status: "viewable" }), now, "en")).toBeUndefined();
  });
});

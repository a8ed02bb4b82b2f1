import express, { type Request, type Response } from "express";
import { escapeHtml } from "../common/html.js";
import { rateLimit } from "express-rate-limit";
import { classroomState, decideCamera } from "../access/access-decision.js";
import type { AccessState } from "../access/access-state.js";
import { renditionsOf } from "../cameras/camera.js";
import type { GuardianService, LinkCheck, LinkProblem } from "../guardians/guardian.service.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { cookieOf, deviceCookie, deviceOf, setBearerCookie, type DeviceLookup } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { errorBody, HttpError } from "../common/errors.js";
import { isSameOrigin } from "./same-origin.js";

export interface ViewerRouteOptions {
  secureCookies: boolean;
  openStreams: boolean;
}

const deviceCookieSeconds = 400 * 24 * 3600;

/** Why a link page cannot offer the button: the link's own problems, and a form posted from another site. */
type LinkRefusal = LinkProblem | "cross_origin" | "not_a_form";

const linkTexts: Record<LinkRefusal, { status: number; id: string; en: string }> = {
  link_invalid: {
    status: 404,
    id: "Tautan ini tidak dikenal. Periksa kembali tautan dari sekolah.",
    en: "This link is not known. Check the link the school sent you.",
  },
  link_expired: {
    status: 410,
    id: "Tautan ini sudah kedaluwarsa. Mintalah tautan baru ke sekolah.",
    en: "This link has expired. Ask the school for a new one.",
  },
  link_revoked: {
    status: 410,
    id: "Tautan ini sudah dicabut oleh sekolah.",
    en: "The school has withdrawn this link.",
  },
  device_limit: {
    status: 403,
    id: "Tautan ini sudah dipakai di jumlah perangkat maksimum. Mintalah sekolah mencabut perangkat lama.",
    en: "This link is already used on the maximum number of devices. Ask the school to remove an old one.",
  },
  device_removed: {
    status: 403,
    id: "Sekolah sudah menghapus HP ini dari akses kamera. Jika ini keliru, hubungi sekolah.",
    en: "The school has removed this phone from camera access. If this is a mistake, contact the school.",
  },
  cross_origin: {
    status: 403,
    id: "Permintaan ini tidak datang dari halaman Pantau. Buka tautan dari sekolah langsung di HP Anda.",
    en: "This request did not come from a Pantau page. Open the school's link directly on your phone.",
  },
  not_a_form: {
    status: 415,
    id: "Permintaan ini tidak dikenal. Buka tautan dari sekolah dan ketuk tombolnya.",
    en: "This request is not understood. Open the school's link and tap its button.",
  },
};

const html = escapeHtml;

/** The viewer's page frame: no script (the CSP forbids inline script; these pages need none), not indexed. */
const pageFrame = (main: string): string =>
  `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>Pantau</title><link rel="stylesheet" href="/assets/viewer.css"></head><body><header><h1>Pantau</h1></header><main class="link-page">${main}</main></body></html>`;

/** A plain page in both languages for a link that cannot be used: nothing from the request echoed. */
function linkPage(problem: LinkRefusal): string {
  const t = linkTexts[problem];
  return pageFrame(
    `<p class="notice">${t.id}</p><p class="notice" lang="en">${t.en}</p><p class="small">${problem}</p>`,
  );
}

/** Honorifics a roster writes before the name: "Ibu Sari Wulandari" is greeted as "Ibu Sari". */
const honorific = /^(ibu|bu|bapak|pak|bpk\.?|ny\.?|nyonya|tn\.?|tuan|sdr\.?|sdri\.?|hj?\.?)$/i;

/** The part of a guardian's name a link page shows: what greets them, not their full name. */
export function firstName(name: string): string {
  const words = name.trim().split(/\s+/);
  const [first = "", second] = words;
  return honorific.test(first) && second !== undefined ? `${first} ${second}` : first;
}

/**
 * The page a link opens (GET /a/:linkToken): the school, the guardian's first name, what watching means,
 * the school's contact and one button that posts the link back (POST /a/:linkToken) to register this phone.
 * A phone that watches for another guardian is told for whom, and the button replaces it only with
 * `replace=1`.
 */
function confirmPage(token: string, c: Extract<LinkCheck, { ok: true }>): string {
  const school = c.school;
  const name = html(firstName(c.guardian.name));
  const parts = [
    `<p class="school">${html(school?.name ?? "")}</p>`,
    `<p>Halo, ${name}.</p><p lang="en">Hello, ${name}.</p>`,
  ];
  const holder = c.phone.kind === "other" ? html(firstName(c.phone.holder.name)) : undefined;
  if (holder !== undefined) {
    parts.push(
      `<p class="notice">HP ini sudah terdaftar untuk ${holder}. Ganti agar HP ini menonton untuk ${name}? ${holder} tidak bisa menonton lagi di HP ini.</p>`,
      `<p class="notice" lang="en">This phone is registered for ${holder}. Switch it to ${name}? ${holder} will no longer watch on this phone.</p>`,
    );
  }
  parts.push(
    '<ul class="privacy">',
    '<li>Hanya siaran langsung: tanpa rekaman, tanpa suara. <span lang="en">Live only: no recording, no audio.</span></li>',
    '<li>Setiap tontonan dicatat (siapa, kamera, kapan) dan dapat dilihat sekolah. <span lang="en">Every viewing is recorded (who, which camera, when) and the school can see it.</span></li>',
    '<li>Tautan ini pribadi: jangan dibagikan. <span lang="en">This link is personal: do not share it.</span></li>',
    "</ul>",
  );
  if (school !== undefined && school.contact !== "") {
    parts.push(`<p>Kontak sekolah <span lang="en">/ School contact</span>: ${html(school.contact)}</p>`);
  }
  const action = `/a/${encodeURIComponent(token)}`;
  if (holder === undefined) {
    parts.push(
      `<form method="post" action="${html(action)}"><button type="submit" class="primary">Tonton di HP ini / Watch on this phone</button></form>`,
    );
  } else {
    parts.push(
      `<form method="post" action="${html(action)}"><input type="hidden" name="replace" value="1"><button type="submit" class="primary">Ganti ke ${name} / Switch to ${name}</button></form>`,
      `<p><a href="/watch">Tetap untuk ${holder} / Keep it for ${holder}</a></p>`,
    );
  }
  return pageFrame(parts.join(""));
}

/** The link token of a request, or undefined for anything that cannot be one (nothing is looked up). */
function linkTokenOf(req: Request): string | undefined {
  const token = req.params.linkToken;
  return typeof token === "string" && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? token : undefined;
}

function sendPage(res: Response, status: number, body: string): void {
  res
    .status(status)
    .type("html")
    .set("Cache-Control", "no-store")
    .set("X-Robots-Tag", "noindex")
    // helmet's no-referrer would make a browser post the form with `Origin: null` (Fetch, "serializing a
    // request origin"), which the POST must refuse as it refuses other sites; same-origin keeps our origin.
    .set("Referrer-Policy", "same-origin")
    .send(body);
}

/**
 * The guardian side: `GET /a/:linkToken` shows what the link is for and changes nothing (a messaging app's
 * link preview fetches it too); `POST /a/:linkToken` registers the phone (HttpOnly device cookie) and sends
 * it to the player at /watch; `GET /api/viewer/me` lists the guardian's cameras with their status and when
 * each is next viewable.
 */
export function viewerRoutes(
  guardians: GuardianService,
  state: AccessState,
  streams: StreamManager,
  o: ViewerRouteOptions,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter();
  api.router.use(
    "/a",
    rateLimit({
      windowMs: 60_000,
      // Generous: a link is 256 random bits (nothing to guess), and a whole class may open its links at once
      // from one carrier address (CGNAT).
      limit: 300,
      standardHeaders: "draft-7",
      legacyHeaders: false,
      handler: (_req, res) => {
        res.status(429).json(errorBody("rate_limited", "too many requests; wait a minute"));
      },
    }),
  );
  // The page's button is a plain form post; its only field is `replace`.
  api.router.use("/a", express.urlencoded({ extended: false, limit: "1kb", parameterLimit: 4 }));

  const refuse = (res: Response, problem: LinkRefusal) => {
    sendPage(res, linkTexts[problem].status, linkPage(problem));
  };

  api.get(
    "/a/:linkToken",
    {
      summary:
        "Open an access link: a page with the school, the guardian's first name and a button (changes nothing); 303 to /watch for a phone already registered for this guardian",
      tag: "viewer",
      auth: "public",
      returns: { status: 200, description: "The confirmation page", type: "text/html" },
    },
    (req, res) => {
      const token = linkTokenOf(req);
      if (token === undefined) {
        refuse(res, "link_invalid");
        return;
      }
      const c = guardians.checkLink(token, cookieOf(req, deviceCookie));
      if (!c.ok) refuse(res, c.problem);
      else if (c.phone.kind === "registered") res.set("Cache-Control", "no-store").redirect(303, "/watch");
      else sendPage(res, 200, confirmPage(token, c));
    },
  );

  api.post(
    "/a/:linkToken",
    {
      summary:
        "Register this phone for the link's guardian (a same-origin form post; replace=1 moves a phone registered for another guardian), then 303 to /watch",
      tag: "viewer",
      auth: "public",
      bodyType: "application/x-www-form-urlencoded",
      returns: { status: 303, description: "To the player" },
    },
    (req, res) => {
      if (!isSameOrigin(req)) {
        refuse(res, "cross_origin");
        return;
      }
      if (req.is("application/x-www-form-urlencoded") === false) {
        refuse(res, "not_a_form");
        return;
      }
      const token = linkTokenOf(req);
      if (token === undefined) {
        refuse(res, "link_invalid");
        return;
      }
      const replace = (req.body as Record<string, unknown> | undefined)?.replace === "1";
      const r = guardians.registerDevice(
        token,
        cookieOf(req, deviceCookie),
        req.get("user-agent") ?? "",
        replace,
        req.ip,
      );
      if (!r.ok) {
        refuse(res, r.problem);
        return;
      }
      if (r.phone.kind === "other" && r.registered === undefined) {
        // Not confirmed: the phone stays with the other guardian; ask again.
        sendPage(res, 409, confirmPage(token, r));
        return;
      }
      if (r.registered !== undefined) {
        setBearerCookie(res, deviceCookie, r.registered.token, deviceCookieSeconds, o.secureCookies);
      }
      res.set("Cache-Control", "no-store").redirect(303, "/watch");
    },
  );

  api.get(
    "/api/viewer/me",
    {
      summary: "The guardian's cameras, their status and when each is next viewable",
      tag: "viewer",
      auth: "device",
    },
    (req, res) => {
      const device = currentDevice(req, guardians);
      const snap = state.snapshot();
      const guardian = snap.guardians.get(device.guardianId);
      if (device.revokedAt !== null || !guardian || guardian.revoked || (guardian.demo && !snap.demo)) {
        throw new HttpError(403, "revoked", "access for this device was revoked by the school");
      }
      const at = new Date(now());
      const cameras = [...snap.cameras.values()]
        .filter((c) => c.enabled && c.classroomId !== null && guardian.classroomIds.has(c.classroomId))
        .map((c) => {
          const room = snap.classrooms.get(c.classroomId ?? "");
          const school = room && snap.schools.get(room.schoolId);
          const v = classroomState(snap, c, at);
          const d = decideCamera(snap, device.id, c.id, at, o.openStreams);
          const offline = streams
            .renditionsOf(c.id)
            .some((r) => r.state === "backoff" || r.state === "failed");
          const status = !d.ok ? d.code : offline ? "camera_offline" : "viewable";
          return {
            id: c.id,
            name: c.name,
            demo: c.demo,
            classroom: { id: c.classroomId, name: room?.name ?? "" },
            school: {
              id: room?.schoolId ?? null,
              name: school?.name ?? "",
              timeZone: school?.timeZone ?? "Asia/Jakarta",
            },
            renditions: renditionsOf(c),
            status,
            nextViewableAt: v?.nextOpenAt?.toISOString() ?? null,
            pausedUntil: room?.pause ? room.pause.until : null,
            windowEndsAt: v?.open === true ? (v.closesAt?.toISOString() ?? null) : null,
          };
        });
      res.set("Cache-Control", "no-store").json({
        guardian: { id: device.guardianId, name: guardian.name },
        serverTime: at.toISOString(),
        cameras,
      });
    },
  );
  return api;
}

/** The device behind the cookie, or 401 no_device. */
export function currentDevice(req: Request, guardians: DeviceLookup) {
  const device = deviceOf(req, guardians);
  if (!device) throw new HttpError(401, "no_device", "open the link from the school on this device first");
  return device;
}

import type { Request } from "express";
import { rateLimit } from "express-rate-limit";
import { classroomState, decideCamera, type AccessState } from "../access/access-state.js";
import type { AuditRepository } from "../audit/audit.repository.js";
import { renditionsOf } from "../cameras/camera.js";
import type { GuardianRepository, LinkProblem } from "../guardians/guardian.repository.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { cookieOf, deviceCookie, setBearerCookie } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { errorBody, HttpError } from "./errors.js";

export interface ViewerRouteOptions {
  maxDevicesPerGuardian: number;
  secureCookies: boolean;
  openStreams: boolean;
}

const deviceCookieSeconds = 400 * 24 * 3600;

const linkTexts: Record<LinkProblem, { status: number; id: string; en: string }> = {
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
};

/** A plain page in both languages for a link that cannot be used: no script, nothing from the request echoed. */
function linkPage(problem: LinkProblem): string {
  const t = linkTexts[problem];
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Pantau</title><link rel="stylesheet" href="/assets/viewer.css"></head><body><header><h1>Pantau</h1></header><main><p class="notice">${t.id}</p><p class="notice" lang="en">${t.en}</p><p class="small">${problem}</p></main></body></html>`;
}

/**
 * The guardian side: `GET /a/:linkToken` registers the phone (HttpOnly device cookie) and sends it to the
 * player at /watch; `GET /api/viewer/me` lists the guardian's cameras with their status and when each is
 * next viewable.
 */
export function viewerRoutes(
  guardians: GuardianRepository,
  state: AccessState,
  streams: StreamManager,
  audit: AuditRepository,
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

  api.get(
    "/a/:linkToken",
    {
      summary: "Open an access link: registers this device, then 303 to /watch",
      tag: "viewer",
      auth: "public",
      returns: { status: 303, description: "To the player" },
    },
    (req, res) => {
      const token = req.params.linkToken;
      const reply = (problem: LinkProblem) => {
        res
          .status(linkTexts[problem].status)
          .type("html")
          .set("Cache-Control", "no-store")
          .send(linkPage(problem));
      };
      if (typeof token !== "string" || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) {
        reply("link_invalid");
        return;
      }
      const r = guardians.registerDevice(
        token,
        cookieOf(req, deviceCookie),
        req.get("user-agent") ?? "",
        o.maxDevicesPerGuardian,
      );
      if (!r.ok) {
        reply(r.problem);
        return;
      }
      if (r.token !== undefined) {
        audit.record({
          actor: { kind: "guardian", id: r.guardian.id, name: r.guardian.name, ip: req.ip },
          schoolId: r.guardian.schoolId,
          action: "device.register",
          targetKind: "device",
          targetId: r.device.id,
          detail: { link: r.device.linkId, userAgent: r.device.userAgent },
        });
        state.invalidate();
        setBearerCookie(res, deviceCookie, r.token, deviceCookieSeconds, o.secureCookies);
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
      if (device.revokedAt !== null || !guardian || guardian.revoked) {
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
            .some((r) => r.supervisor.state === "backoff" || r.supervisor.state === "failed");
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
export function currentDevice(req: Request, guardians: GuardianRepository) {
  const token = cookieOf(req, deviceCookie);
  const device = token === undefined ? undefined : guardians.deviceByToken(token);
  if (!device) throw new HttpError(401, "no_device", "open the link from the school on this device first");
  return device;
}

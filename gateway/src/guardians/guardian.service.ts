import QRCode from "qrcode";
import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import type { Actor } from "../audit/audit.repository.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { HttpError, forbidden, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { School } from "../schools/school.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { parseRoster, type CsvProblem } from "./guardian-csv.js";
import type { AccessLink, Device, Guardian, GuardianCreate, GuardianPatch } from "./guardian.js";
import type { GuardianRepository } from "./guardian.repository.js";

export interface GuardianSettings {
  /** How long a new link works when the admin names no expiry. */
  linkDays: number;
  /** Base URL for links; the request's own origin when unset. */
  publicUrl: string | undefined;
  /** Live devices a guardian may have at once. */
  maxDevicesPerGuardian: number;
  /** The demo setting: the demo guardian's links open only while it is on. */
  demo: boolean;
}

/** A guardian as the admin list shows one: with every link and device. */
export type GuardianView = Guardian & { links: AccessLink[]; devices: Device[] };

/** An issued link: the URL (shown only now, as the token is stored hashed) and its QR code. */
export type IssuedLink = AccessLink & { url: string; qrSvg: string };

export interface RosterImport {
  created: number;
  updated: number;
  childrenAdded: number;
}

export type LinkProblem =
  | "link_invalid"
  | "link_expired"
  | "link_revoked"
  | "device_limit"
  /** The school removed this phone (DELETE /api/devices/:id): reopening a link on it registers nothing. */
  | "device_removed";

/** What opening a link on a phone would do, worked out without writing anything (GET /a/:linkToken). */
export type LinkCheck =
  | { ok: false; problem: LinkProblem }
  | {
      ok: true;
      link: AccessLink;
      guardian: Guardian;
      /** The guardian's school, whose name and contact the link page shows. */
      school: School | undefined;
      /**
       * `registered`: the phone's device cookie is a live device of this guardian; `other`: a live device of
       * another guardian (`holder`), replaced only when the parent confirms; `new`: a free slot for it.
       */
      phone:
        | { kind: "registered"; device: Device }
        | { kind: "other"; device: Device; holder: Guardian }
        | { kind: "new" };
    };

/** What posting a link did: a LinkCheck, plus the device made when one was (its token returned once). */
export type Registration =
  | { ok: false; problem: LinkProblem }
  | (Extract<LinkCheck, { ok: true }> & {
      registered?: { device: Device; token: string; replaced: Device | undefined };
    });

/**
 * Guardians of a school, the CSV roster import, access links and devices, and the policy of a link opened on
 * a phone (which phone may watch for whom, how many per guardian). Only the school's admins and operators
 * manage guardians: a teacher never sees parents' contact details.
 */
export class GuardianService {
  constructor(
    private readonly schools: SchoolRepository,
    private readonly classrooms: ClassroomRepository,
    private readonly guardians: GuardianRepository,
    private readonly work: UnitOfWork,
    private readonly now: () => number,
    private readonly settings: GuardianSettings,
  ) {}

  /**
   * The school whose guardians the caller manages: its teacher hears 403, anyone else 404. The roster import
   * asks this before reading the upload.
   */
  managedSchool({ user }: Caller, schoolId: string): School {
    const school = this.schools.get(schoolId);
    if (!school || !managesSchool(user, school.id)) {
      if (school && user.schoolId === school.id) throw forbidden();
      throw notFound("school");
    }
    return school;
  }

  list(caller: Caller, schoolId: string): GuardianView[] {
    const school = this.managedSchool(caller, schoolId);
    const access = this.guardians.accessOf(school.id);
    return this.guardians.list(school.id).map((g) => ({
      ...g,
      links: access.links.get(g.id) ?? [],
      devices: access.devices.get(g.id) ?? [],
    }));
  }

  create(caller: Caller, schoolId: string, input: GuardianCreate): GuardianView {
    const school = this.managedSchool(caller, schoolId);
    this.checkChildren(school.id, input.children);
    const g = this.work.apply(
      caller.actor,
      (r: Guardian) => ({
        schoolId: school.id,
        action: "guardian.create",
        targetKind: "guardian",
        targetId: r.id,
        detail: { name: r.name, children: r.children },
      }),
      () => this.guardians.create(school.id, input),
    );
    return this.withAccess(g);
  }

  /**
   * Imports a roster CSV, all rows or none: every bad line (and every classroom name the school lacks) is
   * answered at once (422), so the school fixes its file in one go. A guardian already on the roster (same
   * name and phone) gains the new children.
   */
  importRoster(caller: Caller, schoolId: string, data: Buffer): RosterImport {
    const school = this.managedSchool(caller, schoolId);
    const parsed = parseRoster(data);
    const problems: CsvProblem[] = [...parsed.problems];
    const rooms = new Map<string, string>();
    for (const row of parsed.rows) {
      const room = this.classrooms.findByName(school.id, row.classroom);
      if (room) rooms.set(row.classroom.toLowerCase(), room.id);
      else
        problems.push({
          line: row.line,
          field: "classroom",
          reason: `no classroom "${row.classroom}" in this school`,
        });
    }
    if (problems.length > 0) {
      problems.sort((x, y) => x.line - y.line);
      throw new HttpError(
        422,
        "invalid_csv",
        `${String(problems.length)} problem(s); nothing was imported`,
        undefined,
        { problems: problems.slice(0, 500) },
      );
    }
    return this.work.apply(
      caller.actor,
      (r: RosterImport) => ({
        schoolId: school.id,
        action: "guardian.import",
        targetKind: "school",
        targetId: school.id,
        detail: { ...r, rows: parsed.rows.length },
      }),
      () => {
        let created = 0;
        let updated = 0;
        let childrenAdded = 0;
        const seen = new Map<string, string>();
        for (const row of parsed.rows) {
          const child = {
            name: row.childName,
            classroomId: rooms.get(row.classroom.toLowerCase()) as string,
          };
          const key = `${row.guardianName.toLowerCase()}|${row.phone ?? ""}`;
          let id = seen.get(key);
          if (id === undefined) {
            const existing = this.guardians.findSame(school.id, row.guardianName, row.phone);
            if (existing) {
              id = existing.id;
              updated++;
            } else {
              id = this.guardians.create(school.id, {
                name: row.guardianName,
                ...(row.phone !== null && { phone: row.phone }),
                ...(row.email !== null && { email: row.email }),
                children: [child],
              }).id;
              created++;
              childrenAdded++;
              seen.set(key, id);
              continue;
            }
            seen.set(key, id);
          }
          childrenAdded += this.guardians.addChildren(id, [child]);
        }
        return { created, updated, childrenAdded };
      },
    );
  }

  /** Changes a guardian; `revoked: true` cuts every device of theirs at once. */
  update(caller: Caller, guardianId: string, patch: GuardianPatch): GuardianView {
    const g = this.managedGuardian(caller, guardianId);
    if (patch.children) this.checkChildren(g.schoolId, patch.children);
    const updated = this.work.apply(
      caller.actor,
      {
        schoolId: g.schoolId,
        action: patch.revoked === true ? "guardian.revoke" : "guardian.update",
        targetKind: "guardian",
        targetId: g.id,
        detail: { ...patch },
      },
      () => this.guardians.update(g.id, patch),
    );
    return this.withAccess(updated);
  }

  delete(caller: Caller, guardianId: string): void {
    const g = this.managedGuardian(caller, guardianId);
    this.work.apply(
      caller.actor,
      {
        schoolId: g.schoolId,
        action: "guardian.delete",
        targetKind: "guardian",
        targetId: g.id,
        detail: { name: g.name },
      },
      () => {
        this.guardians.delete(g.id);
      },
    );
  }

  /** A new access link for `origin` (the request's own, unless publicUrl is set), with its URL as a QR code. */
  async issueLink(
    caller: Caller,
    guardianId: string,
    expiresInDays: number | undefined,
    origin: string,
  ): Promise<IssuedLink> {
    const g = this.managedGuardian(caller, guardianId);
    if (g.revokedAt !== null)
      throw new HttpError(409, "conflict", "this guardian's access is revoked; restore it first");
    const expiresAt = new Date(this.now() + (expiresInDays ?? this.settings.linkDays) * 86_400_000);
    const { link, token } = this.work.apply(
      caller.actor,
      (r: { link: AccessLink; token: string }) => ({
        schoolId: g.schoolId,
        action: "link.create",
        targetKind: "link",
        targetId: r.link.id,
        detail: { guardian: g.id, expiresAt: r.link.expiresAt },
      }),
      () => this.guardians.createLink(g.id, expiresAt, caller.user.username),
    );
    const url = `${(this.settings.publicUrl ?? origin).replace(/\/$/, "")}/a/${token}`;
    const qrSvg = await QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    return { ...link, url, qrSvg };
  }

  /** Revokes a link and every device registered through it (a leaked link must not keep working anywhere). */
  revokeLink(caller: Caller, linkId: string): { link: AccessLink; devicesRevoked: number } {
    const g = this.ownerOf(caller, "link", this.guardians.link(linkId)?.guardianId);
    return this.work.apply(
      caller.actor,
      (x: { devicesRevoked: number }) => ({
        schoolId: g.schoolId,
        action: "link.revoke",
        targetKind: "link",
        targetId: linkId,
        detail: { guardian: g.id, devicesRevoked: x.devicesRevoked },
      }),
      () => this.guardians.revokeLink(linkId),
    );
  }

  /** The school removes a phone: it stays removed, whichever of the guardian's links it opens again. */
  revokeDevice(caller: Caller, deviceId: string): Device {
    const g = this.ownerOf(caller, "device", this.guardians.device(deviceId)?.guardianId);
    return this.work.apply(
      caller.actor,
      {
        schoolId: g.schoolId,
        action: "device.revoke",
        targetKind: "device",
        targetId: deviceId,
        detail: { guardian: g.id },
      },
      () => this.guardians.revokeDevice(deviceId),
    );
  }

  /** The device behind a device cookie's token, a revoked one too. */
  deviceByToken(token: string): Device | undefined {
    return this.guardians.deviceByToken(token);
  }

  /**
   * Who holds the link and what opening it on the phone with `deviceToken` would do; reads only, so a link
   * preview (a messaging app's bot fetching the link) changes nothing. A phone the school removed stays
   * removed; a phone that cleared its cookies is a new phone, within the guardian's slots.
   */
  checkLink(linkToken: string, deviceToken: string | undefined): LinkCheck {
    const link = this.guardians.linkByToken(linkToken);
    if (!link) return { ok: false, problem: "link_invalid" };
    const guardian = this.guardians.get(link.guardianId);
    if (
      !guardian ||
      link.revokedAt !== null ||
      guardian.revokedAt !== null ||
      (guardian.demo && !this.settings.demo)
    ) {
      return { ok: false, problem: "link_revoked" };
    }
    const school = this.schools.get(guardian.schoolId);
    const known = deviceToken === undefined ? undefined : this.guardians.deviceByToken(deviceToken);
    if (known?.guardianId === guardian.id) {
      if (known.revokedAt === null)
        return { ok: true, link, guardian, school, phone: { kind: "registered", device: known } };
      if (known.revokedReason === "device") return { ok: false, problem: "device_removed" };
    }
    if (link.expiresAt !== null && Date.parse(link.expiresAt) <= this.now()) {
      return { ok: false, problem: "link_expired" };
    }
    if (this.guardians.liveDeviceCount(guardian.id) >= this.settings.maxDevicesPerGuardian) {
      return { ok: false, problem: "device_limit" };
    }
    const holder = known?.revokedAt === null ? this.guardians.get(known.guardianId) : undefined;
    if (known && holder?.revokedAt === null) {
      return { ok: true, link, guardian, school, phone: { kind: "other", device: known, holder } };
    }
    return { ok: true, link, guardian, school, phone: { kind: "new" } };
  }

  /**
   * Registers the phone (POST /a/:linkToken), or recognises it as already this guardian's. A phone holding
   * another guardian's live device is moved over only with `replace` (the parent confirmed): that device is
   * revoked, freeing the other guardian's slot. Checked and written in one transaction so two phones racing
   * for the last slot cannot both get it; each new device and each replaced one is audited.
   */
  registerDevice(
    linkToken: string,
    deviceToken: string | undefined,
    userAgent: string,
    replace: boolean,
    ip: string | undefined,
  ): Registration {
    return this.guardians.atomically(() => {
      const c = this.checkLink(linkToken, deviceToken);
      if (!c.ok) return c;
      if (c.phone.kind === "registered") {
        this.guardians.touchDevice(c.phone.device.id);
        return c;
      }
      if (c.phone.kind === "other" && !replace) return c;
      const actor: Actor = { kind: "guardian", id: c.guardian.id, name: c.guardian.name, ip };
      const replaced =
        c.phone.kind === "other"
          ? this.replace(c.phone.device, c.phone.holder, c.guardian, actor)
          : undefined;
      const registered = this.work.apply(
        actor,
        (r: { device: Device }) => ({
          schoolId: c.guardian.schoolId,
          action: "device.register",
          targetKind: "device",
          targetId: r.device.id,
          detail: {
            link: r.device.linkId,
            userAgent: r.device.userAgent,
            ...(replaced !== undefined && { replaced: replaced.id }),
          },
        }),
        () => this.guardians.addDevice(c.guardian.id, c.link.id, userAgent),
      );
      return { ...c, registered: { ...registered, replaced } };
    });
  }

  /** Frees the holder's device for `guardian`, audited in the holder's school. */
  private replace(device: Device, holder: Guardian, guardian: Guardian, actor: Actor): Device {
    return this.work.apply(
      // The other school's log names no one of this school: the phone itself moved on.
      holder.schoolId === guardian.schoolId
        ? actor
        : { kind: "system", id: null, name: "Pantau", ip: actor.ip },
      {
        schoolId: holder.schoolId,
        action: "device.revoke",
        targetKind: "device",
        targetId: device.id,
        detail: { guardian: holder.id, reason: "replaced" },
      },
      () => this.guardians.markReplaced(device.id),
    );
  }

  /** A guardian of a school the caller manages: its teacher hears 403, anyone else 404. */
  private managedGuardian({ user }: Caller, id: string): Guardian {
    const g = this.guardians.get(id);
    if (!g || !managesSchool(user, g.schoolId)) {
      if (g && user.schoolId === g.schoolId) throw forbidden();
      throw notFound("guardian");
    }
    return g;
  }

  /** The guardian owning a link or device the caller manages; 404 for anything else. */
  private ownerOf({ user }: Caller, kind: "link" | "device", guardianId: string | undefined): Guardian {
    const g = guardianId === undefined ? undefined : this.guardians.get(guardianId);
    if (!g || !managesSchool(user, g.schoolId)) throw notFound(kind);
    return g;
  }

  /** Children must sit in classrooms of the guardian's own school. */
  private checkChildren(schoolId: string, children: readonly { classroomId: string }[]): void {
    children.forEach((c, i) => {
      if (this.classrooms.get(c.classroomId)?.schoolId !== schoolId) {
        throw new HttpError(
          400,
          "invalid_input",
          `children.${String(i)}.classroomId: no such classroom in this school`,
          `children.${String(i)}.classroomId`,
        );
      }
    });
  }

  private withAccess(g: Guardian): GuardianView {
    return { ...g, links: this.guardians.links(g.id), devices: this.guardians.devices(g.id) };
  }
}

import QRCode from "qrcode";
import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import type { Actor } from "../audit/audit.repository.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import type { ViewingSessionRepository } from "../audit/viewing-session.repository.js";
import { HttpError, explainedError, forbidden, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { Classroom, School } from "../schools/school.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { parseRoster, type CsvProblem, type RosterRow } from "./guardian-csv.js";
import type {
  AccessLink,
  Child,
  Consent,
  ConsentCreate,
  Device,
  Guardian,
  GuardianCreate,
  GuardianPatch,
} from "./guardian.js";
import type { GuardianRepository } from "./guardian.repository.js";
import { groupRoster, isUnchanged, planRoster, rosterDigest } from "./roster-diff.js";

export interface GuardianSettings {
  /** How long a new link works when the admin names no expiry. */
  linkDays: number;
  /** Base URL for links; the request's own origin when unset. */
  publicUrl: string | undefined;
  /** Live devices a guardian may have at once. */
  maxDevicesPerGuardian: number;
  /** The demo setting: the demo guardian's links open only while it is on. */
  demo: boolean;
  /** A link is issued only to a guardian whose consent is on record (UU PDP 27/2022). */
  requireConsent: boolean;
}

/**
 * A guardian as the admin list shows one: with every link and device, the consent in force, and when they
 * last started watching.
 */
export type GuardianView = Guardian & {
  links: AccessLink[];
  devices: Device[];
  consent: Consent | null;
  lastViewedAt: string | null;
};

/** An issued link: the URL (shown only now, as the token is stored hashed) and its QR code. */
export type IssuedLink = AccessLink & { url: string; qrSvg: string };

export interface RosterImport {
  created: number;
  updated: number;
  childrenAdded: number;
}

/** What a whole-roster apply did (`?roster=replace`). */
export interface RosterReplace extends RosterImport {
  moved: number;
  revoked: number;
  childrenRemoved: number;
}

type NamedChild = { name: string; classroom: string };

/** What applying a roster as the whole school's would do, with classroom names; changes nothing. */
export interface RosterPreview {
  rows: number;
  added: { line: number; name: string; phone: string | null; email: string | null; children: NamedChild[] }[];
  changed: {
    guardianId: string;
    name: string;
    fields: { phone?: { from: string | null; to: string }; email?: { from: string | null; to: string } };
  }[];
  moved: { guardianId: string; name: string; child: string; from: string; to: string }[];
  childrenAdded: { guardianId: string; name: string; child: string; classroom: string }[];
  childrenRemoved: { guardianId: string; name: string; child: string; classroom: string }[];
  missing: { guardianId: string; name: string; children: NamedChild[]; links: number; devices: number }[];
  /** On the roster but revoked: applying leaves them revoked (PATCH revoked: false restores one). */
  stillRevoked: { guardianId: string; name: string }[];
  unchanged: number;
  /** Pass it to the apply: it is refused (409 roster_changed) once the roster or the guardians differ. */
  digest: string;
}

/** The printable QR sheet of a classroom: a link for each guardian with a child there who may have one. */
export interface ClassroomLinks {
  classroom: { id: string; name: string };
  school: { id: string; name: string };
  links: {
    guardianId: string;
    guardianName: string;
    children: string[];
    linkId: string;
    url: string;
    qrSvg: string;
    expiresAt: string | null;
  }[];
  skipped: { guardianId: string; guardianName: string; reason: "no_consent" | "revoked" }[];
}

const consentRequired = {
  id: "Catat persetujuan wali dulu (UU PDP 27/2022), baru tautan bisa dibuat.",
  en: "Record the guardian's consent first (UU PDP 27/2022); then a link can be issued.",
};
const rosterChanged = {
  id: "Data wali sekolah ini berubah sejak pratinjau. Lihat pratinjau lagi, lalu terapkan.",
  en: "This school's guardians changed since the preview. Preview the roster again, then apply it.",
};

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
    private readonly viewings: ViewingSessionRepository,
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

  /** Whether a link is issued only once consent is on record (guardians.requireConsent). */
  get requiresConsent(): boolean {
    return this.settings.requireConsent;
  }

  list(caller: Caller, schoolId: string): GuardianView[] {
    const school = this.managedSchool(caller, schoolId);
    return this.views(school.id);
  }

  /** Every guardian of a school with links, devices, consent and last viewing, in a few reads. */
  private views(schoolId: string): GuardianView[] {
    const access = this.guardians.accessOf(schoolId);
    const consents = this.guardians.consentsOf(schoolId);
    const list = this.guardians.list(schoolId);
    const viewed = this.viewings.lastViewedBy(list.map((g) => g.id));
    return list.map((g) => ({
      ...g,
      links: access.links.get(g.id) ?? [],
      devices: access.devices.get(g.id) ?? [],
      consent: consents.get(g.id) ?? null,
      lastViewedAt: viewed.get(g.id) ?? null,
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
   * name and phone) gains the new children; nobody is changed or removed (see replaceRoster for that).
   */
  importRoster(caller: Caller, schoolId: string, data: Buffer): RosterImport {
    const school = this.managedSchool(caller, schoolId);
    const rows = this.rosterRows(school.id, data);
    return this.work.apply(
      caller.actor,
      (r: RosterImport) => ({
        schoolId: school.id,
        action: "guardian.import",
        targetKind: "school",
        targetId: school.id,
        detail: { ...r, rows: rows.length },
      }),
      () => {
        let created = 0;
        let updated = 0;
        let childrenAdded = 0;
        const seen = new Map<string, string>();
        for (const row of rows) {
          const child = { name: row.childName, classroomId: row.classroomId };
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

  /**
   * What applying the roster as the whole school's (replaceRoster) would do: who is added, whose phone or
   * e-mail changes, which child moves to which classroom, who is missing and would be revoked. Writes
   * nothing; the digest it returns names the roster and the school's guardians as they are now.
   */
  previewRoster(caller: Caller, schoolId: string, data: Buffer): RosterPreview {
    const school = this.managedSchool(caller, schoolId);
    const rows = this.rosterRows(school.id, data);
    const rooms = this.classrooms.list(school.id);
    const roomName = (id: string) => rooms.find((c) => c.id === id)?.name ?? id;
    const named = (cs: readonly Child[]) =>
      cs.map((c) => ({ name: c.name, classroom: roomName(c.classroomId) }));
    const views = this.views(school.id);
    const plan = planRoster(groupRoster(rows), views);
    const at = this.now();
    const live = {
      links: (g: GuardianView) =>
        g.links.filter((l) => l.revokedAt === null && (l.expiresAt === null || Date.parse(l.expiresAt) > at))
          .length,
      devices: (g: GuardianView) => g.devices.filter((d) => d.revokedAt === null).length,
    };
    const byId = new Map(views.map((g) => [g.id, g]));
    const each = <T>(f: (m: (typeof plan.matched)[number]) => T[]) => plan.matched.flatMap(f);
    return {
      rows: rows.length,
      added: plan.added.map((r) => ({
        line: r.line,
        name: r.name,
        phone: r.phone,
        email: r.email,
        children: named(r.children),
      })),
      changed: plan.matched
        .filter((m) => m.fields.phone !== undefined || m.fields.email !== undefined)
        .map((m) => ({ guardianId: m.guardian.id, name: m.guardian.name, fields: m.fields })),
      moved: each((m) =>
        m.moved.map((x) => ({
          guardianId: m.guardian.id,
          name: m.guardian.name,
          child: x.child,
          from: roomName(x.from),
          to: roomName(x.to),
        })),
      ),
      childrenAdded: each((m) =>
        m.childrenAdded.map((c) => ({
          guardianId: m.guardian.id,
          name: m.guardian.name,
          child: c.name,
          classroom: roomName(c.classroomId),
        })),
      ),
      childrenRemoved: each((m) =>
        m.childrenRemoved.map((c) => ({
          guardianId: m.guardian.id,
          name: m.guardian.name,
          child: c.name,
          classroom: roomName(c.classroomId),
        })),
      ),
      missing: plan.missing.map((g) => {
        const v = byId.get(g.id) as GuardianView;
        return {
          guardianId: g.id,
          name: g.name,
          children: named(g.children),
          links: live.links(v),
          devices: live.devices(v),
        };
      }),
      stillRevoked: plan.matched
        .filter((m) => m.guardian.revokedAt !== null)
        .map((m) => ({ guardianId: m.guardian.id, name: m.guardian.name })),
      unchanged: plan.matched.filter(isUnchanged).length,
      digest: rosterDigest(data, views, rooms),
    };
  }

  /**
   * Applies the roster as the school's whole roster (a new school year, kenaikan kelas), in one
   * transaction: adds the new guardians, updates changed phones and e-mails, sets each guardian's children
   * and classrooms to the roster's, and revokes every live guardian it no longer names, with their links and
   * phones (open streams are cut: the access state hears of the commit). With the preview's `digest`, a
   * school whose guardians (or a roster that) changed since is refused with 409 roster_changed. Audited as one
   * guardian.import with the counts, and one guardian.revoke per guardian revoked, so each guardian's own
   * history says when and why their access ended.
   */
  replaceRoster(caller: Caller, schoolId: string, data: Buffer, digest: string | undefined): RosterReplace {
    const school = this.managedSchool(caller, schoolId);
    const rows = this.rosterRows(school.id, data);
    return this.work.apply(
      caller.actor,
      (r: RosterReplace) => ({
        schoolId: school.id,
        action: "guardian.import",
        targetKind: "school",
        targetId: school.id,
        detail: { mode: "replace", ...r, rows: rows.length },
      }),
      () => {
        const views = this.views(school.id);
        if (digest !== undefined && digest !== rosterDigest(data, views, this.classrooms.list(school.id)))
          throw explainedError(409, "roster_changed", rosterChanged);
        const plan = planRoster(groupRoster(rows), views);
        const result: RosterReplace = {
          created: 0,
          updated: 0,
          moved: 0,
          revoked: 0,
          childrenAdded: 0,
          childrenRemoved: 0,
        };
        for (const r of plan.added) {
          this.guardians.create(school.id, {
            name: r.name,
            ...(r.phone !== null && { phone: r.phone }),
            ...(r.email !== null && { email: r.email }),
            children: r.children,
          });
          result.created++;
          result.childrenAdded += r.children.length;
        }
        for (const m of plan.matched) {
          if (isUnchanged(m)) continue;
          this.guardians.update(m.guardian.id, {
            ...(m.fields.phone && { phone: m.fields.phone.to }),
            ...(m.fields.email && { email: m.fields.email.to }),
            children: m.roster.children,
          });
          result.updated++;
          result.moved += m.moved.length;
          result.childrenAdded += m.childrenAdded.length;
          result.childrenRemoved += m.childrenRemoved.length;
        }
        for (const g of plan.missing) {
          this.work.apply(
            caller.actor,
            (x: { linksRevoked: number; devicesRevoked: number }) => ({
              schoolId: school.id,
              action: "guardian.revoke",
              targetKind: "guardian",
              targetId: g.id,
              detail: { reason: "not_on_roster", name: g.name, ...x },
            }),
            () => this.guardians.revokeAccess(g.id, { guardian: true }),
          );
          result.revoked++;
        }
        return result;
      },
    );
  }

  /** The roster's rows with their classrooms resolved, or 422 with every problem of the file. */
  private rosterRows(schoolId: string, data: Buffer): (RosterRow & { classroomId: string })[] {
    const parsed = parseRoster(data);
    const problems: CsvProblem[] = [...parsed.problems];
    const rows: (RosterRow & { classroomId: string })[] = [];
    for (const row of parsed.rows) {
      const room = this.classrooms.findByName(schoolId, row.classroom);
      if (room) rows.push({ ...row, classroomId: room.id });
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
    return rows;
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
    if (this.settings.requireConsent && !this.guardians.consent(g.id))
      throw explainedError(409, "consent_required", consentRequired);
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
    const url = this.linkUrl(origin, token);
    return { ...link, url, qrSvg: await qrSvg(url) };
  }

  /**
   * A link for every guardian with a child in the classroom, for its printable QR sheet, in one transaction:
   * each link audited as link.create, and the sheet as classroom.links. Guardians revoked, or without
   * consent while it is required, are skipped and listed. Sorted by child name, as the class list is.
   */
  async issueClassroomLinks(
    caller: Caller,
    classroomId: string,
    expiresInDays: number | undefined,
    origin: string,
  ): Promise<ClassroomLinks> {
    const room = this.managedClassroom(caller, classroomId);
    const school = this.schools.get(room.schoolId) as School;
    const consents = this.guardians.consentsOf(school.id);
    const sorted = this.guardians
      .list(school.id)
      .map((g) => ({
        g,
        children: g.children
          .filter((c) => c.classroomId === room.id)
          .map((c) => c.name)
          .sort((a, b) => a.localeCompare(b, "id")),
      }))
      .filter((x) => x.children.length > 0)
      .sort(
        (a, b) =>
          (a.children[0] ?? "").localeCompare(b.children[0] ?? "", "id") ||
          a.g.name.localeCompare(b.g.name, "id"),
      );
    const skipped: ClassroomLinks["skipped"] = [];
    const due: typeof sorted = [];
    for (const x of sorted) {
      const reason =
        x.g.revokedAt !== null
          ? "revoked"
          : this.settings.requireConsent && !consents.has(x.g.id)
            ? "no_consent"
            : undefined;
      if (reason) skipped.push({ guardianId: x.g.id, guardianName: x.g.name, reason });
      else due.push(x);
    }
    const expiresAt = new Date(this.now() + (expiresInDays ?? this.settings.linkDays) * 86_400_000);
    const issued = this.work.apply(
      caller.actor,
      (r: { link: AccessLink }[]) => ({
        schoolId: school.id,
        action: "classroom.links",
        targetKind: "classroom",
        targetId: room.id,
        detail: { issued: r.length, skipped: skipped.length, expiresAt: expiresAt.toISOString() },
      }),
      () =>
        due.map(({ g }) =>
          this.work.apply(
            caller.actor,
            (r: { link: AccessLink }) => ({
              schoolId: school.id,
              action: "link.create",
              targetKind: "link",
              targetId: r.link.id,
              detail: { guardian: g.id, expiresAt: r.link.expiresAt, classroom: room.id },
            }),
            () => this.guardians.createLink(g.id, expiresAt, caller.user.username),
          ),
        ),
    );
    const links = await Promise.all(
      issued.map(async ({ link, token }, i) => {
        const x = due[i] as (typeof due)[number];
        const url = this.linkUrl(origin, token);
        return {
          guardianId: x.g.id,
          guardianName: x.g.name,
          children: x.children,
          linkId: link.id,
          url,
          qrSvg: await qrSvg(url),
          expiresAt: link.expiresAt,
        };
      }),
    );
    return {
      classroom: { id: room.id, name: room.name },
      school: { id: school.id, name: school.name },
      links,
      skipped,
    };
  }

  /**
   * Records how and when the guardian consented (UU PDP 27/2022); `recordedAt` defaults to now and may not
   * be in the future (a minute of clock difference with the admin's device is allowed).
   */
  recordConsent(caller: Caller, guardianId: string, input: ConsentCreate): Consent {
    const g = this.managedGuardian(caller, guardianId);
    const at = input.recordedAt === undefined ? this.now() : Date.parse(input.recordedAt);
    if (at > this.now() + 60_000)
      throw new HttpError(400, "invalid_input", "recordedAt: must not be in the future", "recordedAt");
    return this.work.apply(
      caller.actor,
      (c: Consent) => ({
        schoolId: g.schoolId,
        action: "consent.record",
        targetKind: "guardian",
        targetId: g.id,
        detail: { consent: c.id, method: c.method, recordedAt: c.recordedAt, note: c.note },
      }),
      () =>
        this.guardians.recordConsent(g.id, {
          recordedAt: new Date(at).toISOString(),
          method: input.method,
          note: input.note ?? "",
          recordedBy: { id: caller.user.id, name: caller.user.displayName },
        }),
    );
  }

  /**
   * Withdraws the guardian's consent, and with it their access: every link and phone revoked (open streams
   * are cut), until consent is recorded again and a new link issued.
   */
  withdrawConsent(
    caller: Caller,
    guardianId: string,
  ): { consent: Consent; linksRevoked: number; devicesRevoked: number } {
    const g = this.managedGuardian(caller, guardianId);
    if (!this.guardians.consent(g.id)) throw notFound("consent");
    return this.work.apply(
      caller.actor,
      (r: { consent: Consent; linksRevoked: number; devicesRevoked: number }) => ({
        schoolId: g.schoolId,
        action: "consent.withdraw",
        targetKind: "guardian",
        targetId: g.id,
        detail: { consent: r.consent.id, linksRevoked: r.linksRevoked, devicesRevoked: r.devicesRevoked },
      }),
      () => {
        const consent = this.guardians.withdrawConsent(g.id, caller.user.id) as Consent;
        return { consent, ...this.guardians.revokeAccess(g.id, { guardian: false }) };
      },
    );
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

  /** A classroom of a school the caller manages: its teachers hear 403, anyone else 404. */
  private managedClassroom({ user }: Caller, id: string): Classroom {
    const room = this.classrooms.get(id);
    if (!room || !managesSchool(user, room.schoolId)) {
      if (room && user.schoolId === room.schoolId) throw forbidden();
      throw notFound("classroom");
    }
    return room;
  }

  private linkUrl(origin: string, token: string): string {
    return `${(this.settings.publicUrl ?? origin).replace(/\/$/, "")}/a/${token}`;
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
    return {
      ...g,
      links: this.guardians.links(g.id),
      devices: this.guardians.devices(g.id),
      consent: this.guardians.consent(g.id) ?? null,
      lastViewedAt: this.viewings.lastViewedBy([g.id]).get(g.id) ?? null,
    };
  }
}

const qrSvg = (url: string): Promise<string> =>
  QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 2 });

import { createHash } from "node:crypto";
import type { RosterRow } from "./guardian-csv.js";
import type { AccessLink, Child, Device, Guardian } from "./guardian.js";

/** A guardian as the roster file has them: the rows with the same name and phone, each row one child. */
export interface RosterGuardian {
  /** The first line of the file naming them. */
  line: number;
  name: string;
  phone: string | null;
  email: string | null;
  children: Child[];
}

/** A guardian on file and on the roster, and what applying the roster changes about them. */
export interface RosterMatch {
  guardian: Guardian;
  roster: RosterGuardian;
  fields: { phone?: { from: string | null; to: string }; email?: { from: string | null; to: string } };
  /** Children in another classroom now (kenaikan kelas): the same child name, a new classroom id. */
  moved: { child: string; from: string; to: string }[];
  childrenAdded: Child[];
  childrenRemoved: Child[];
}

/** What applying a roster as the whole school's would do, in ids; the service names the classrooms. */
export interface RosterPlan {
  added: RosterGuardian[];
  matched: RosterMatch[];
  /** Live guardians the roster no longer names: applying revokes them. */
  missing: Guardian[];
}

const fold = (s: string) => s.normalize("NFC").toLowerCase();

/**
 * Groups roster rows (classrooms already resolved to ids) into guardians by name and phone, as the additive
 * import always has; a guardian's e-mail is the first one their rows give.
 */
export function groupRoster(rows: readonly (RosterRow & { classroomId: string })[]): RosterGuardian[] {
  const byKey = new Map<string, RosterGuardian>();
  for (const row of rows) {
    const key = `${fold(row.guardianName)}|${row.phone ?? ""}`;
    const g = byKey.get(key);
    const child = { name: row.childName, classroomId: row.classroomId };
    if (!g) {
      byKey.set(key, {
        line: row.line,
        name: row.guardianName,
        phone: row.phone,
        email: row.email,
        children: [child],
      });
      continue;
    }
    g.email ??= row.email;
    if (!g.children.some((c) => fold(c.name) === fold(child.name) && c.classroomId === child.classroomId))
      g.children.push(child);
  }
  return [...byKey.values()];
}

/**
 * Matches each roster guardian to at most one guardian on file, then diffs them. First by name and phone
 * (as the additive import does); what is left, by name and a child's name, so a guardian whose phone changed
 * over the holidays is the same guardian, and kenaikan kelas (the same child in a new classroom) is a move,
 * never a removal and an addition. A blank phone or e-mail on the roster keeps the one on file (a roster
 * without an e-mail column must not wipe them). Demo guardians are never missing. Pure.
 */
export function planRoster(roster: readonly RosterGuardian[], existing: readonly Guardian[]): RosterPlan {
  const taken = new Set<string>();
  const pairs = new Map<RosterGuardian, Guardian>();
  // Live guardians first, so a revoked namesake never takes a live guardian's row.
  const ordered = [...existing].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null));
  for (const r of roster) {
    const g = ordered.find(
      (x) => !taken.has(x.id) && fold(x.name) === fold(r.name) && (x.phone ?? "") === (r.phone ?? ""),
    );
    if (g) {
      taken.add(g.id);
      pairs.set(r, g);
    }
  }
  for (const r of roster) {
    if (pairs.has(r)) continue;
    const names = new Set(r.children.map((c) => fold(c.name)));
    let best: { g: Guardian; overlap: number } | undefined;
    for (const x of ordered) {
      if (taken.has(x.id) || fold(x.name) !== fold(r.name)) continue;
      const overlap = x.children.filter((c) => names.has(fold(c.name))).length;
      if (overlap > 0 && overlap > (best?.overlap ?? 0)) best = { g: x, overlap };
    }
    if (best) {
      taken.add(best.g.id);
      pairs.set(r, best.g);
    }
  }
  const added: RosterGuardian[] = [];
  const matched: RosterMatch[] = [];
  for (const r of roster) {
    const g = pairs.get(r);
    if (g) matched.push(diffGuardian(g, r));
    else added.push(r);
  }
  const missing = existing.filter((g) => !taken.has(g.id) && g.revokedAt === null && !g.demo);
  return { added, matched, missing };
}

/** The same child (by name) in the same classroom stays; in another one, moves; the rest come and go. */
function diffGuardian(g: Guardian, r: RosterGuardian): RosterMatch {
  const fields: RosterMatch["fields"] = {};
  if (r.phone !== null && r.phone !== g.phone) fields.phone = { from: g.phone, to: r.phone };
  if (r.email !== null && r.email !== g.email) fields.email = { from: g.email, to: r.email };
  const left = [...g.children];
  const take = (pred: (c: Child) => boolean): Child | undefined => {
    const i = left.findIndex(pred);
    return i < 0 ? undefined : left.splice(i, 1)[0];
  };
  const unplaced: Child[] = [];
  for (const c of r.children) {
    if (!take((x) => fold(x.name) === fold(c.name) && x.classroomId === c.classroomId)) unplaced.push(c);
  }
  const moved: RosterMatch["moved"] = [];
  const childrenAdded: Child[] = [];
  for (const c of unplaced) {
    const before = take((x) => fold(x.name) === fold(c.name));
    if (before) moved.push({ child: c.name, from: before.classroomId, to: c.classroomId });
    else childrenAdded.push(c);
  }
  return { guardian: g, roster: r, fields, moved, childrenAdded, childrenRemoved: left };
}

/** Whether applying the roster leaves this guardian exactly as they are. */
export function isUnchanged(m: RosterMatch): boolean {
  return (
    m.fields.phone === undefined &&
    m.fields.email === undefined &&
    m.moved.length === 0 &&
    m.childrenAdded.length === 0 &&
    m.childrenRemoved.length === 0
  );
}

/**
 * Names the roster file together with everything of the school a roster apply reads or changes (guardians,
 * children, links, phones, classroom names): the preview hands it out, the apply refuses another one, so
 * what is applied is what the admin saw.
 */
export function rosterDigest(
  csv: Buffer,
  guardians: readonly (Guardian & { links: readonly AccessLink[]; devices: readonly Device[] })[],
  classrooms: readonly { id: string; name: string }[],
): string {
  const byId = <T extends { id: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
  const state = {
    csv: createHash("sha256").update(csv).digest("hex"),
    classrooms: byId(classrooms).map((c) => [c.id, c.name]),
    guardians: byId(guardians).map((g) => [
      g.id,
      g.name,
      g.phone,
      g.email,
      g.revokedAt,
      g.children.map((c) => `${c.classroomId}|${c.name}`).sort(),
      byId(g.links).map((l) => [l.id, l.revokedAt, l.expiresAt]),
      byId(g.devices).map((d) => [d.id, d.revokedAt]),
    ]),
  };
  return createHash("sha256").update(JSON.stringify(state)).digest("hex");
}

import { describe, expect, it } from "vitest";
import type { Guardian } from "../../gateway/src/guardians/guardian.js";
import type { RosterRow } from "../../gateway/src/guardians/guardian-csv.js";
import {
  groupRoster,
  isUnchanged,
  planRoster,
  rosterDigest,
  type RosterGuardian,
} from "../../gateway/src/guardians/roster-diff.js";

// The whole-roster apply (a new school year, kenaikan kelas) decides who is the same guardian, who moved and
// who left from these pure functions alone; each row is a roster against the guardians on file.

const on = (
  id: string,
  name: string,
  phone: string | null,
  children: [string, string][],
  extra: Partial<Guardian> = {},
): Guardian => ({
  id,
  schoolId: "sch_1",
  name,
  phone,
  email: null,
  children: children.map(([n, c]) => ({ name: n, classroomId: c })),
  revokedAt: null,
  demo: false,
  createdAt: "",
  updatedAt: "",
  ...extra,
});

const row = (
  line: number,
  name: string,
  phone: string | null,
  child: string,
  classroomId: string,
  email: string | null = null,
) =>
  ({
    line,
    guardianName: name,
    phone,
    email,
    childName: child,
    classroom: classroomId,
    classroomId,
  }) satisfies RosterRow & { classroomId: string };

/** The plan in short: [roster name → guardian id | "new"], moves, fields, added and removed children, missing. */
function summary(roster: RosterGuardian[], existing: Guardian[]) {
  const p = planRoster(roster, existing);
  return {
    added: p.added.map((r) => r.name),
    matched: p.matched.map((m) => `${m.roster.name}→${m.guardian.id}`),
    moved: p.matched.flatMap((m) => m.moved.map((x) => `${x.child}: ${x.from}→${x.to}`)),
    fields: p.matched.flatMap((m) =>
      Object.entries(m.fields).map(([k, v]) => `${k}: ${String(v.from)}→${v.to}`),
    ),
    childrenAdded: p.matched.flatMap((m) => m.childrenAdded.map((c) => `${c.name}@${c.classroomId}`)),
    childrenRemoved: p.matched.flatMap((m) => m.childrenRemoved.map((c) => `${c.name}@${c.classroomId}`)),
    missing: p.missing.map((g) => g.id),
    unchanged: p.matched.filter(isUnchanged).length,
  };
}

const none = { added: [], moved: [], fields: [], childrenAdded: [], childrenRemoved: [], missing: [] };

describe("groupRoster", () => {
  it("makes one guardian of the rows with the same name (any case) and phone, children in file order", () => {
    const g = groupRoster([
      row(2, "Ibu Sari", "08123456789", "Budi", "c1"),
      row(3, "IBU SARI", "08123456789", "Ani", "c2", "sari@example.id"),
      row(4, "Ibu Sari", "08999999999", "Joko", "c1"),
      row(5, "Ibu Sari", "08123456789", "budi", "c1"),
    ]);
    expect(g).toEqual([
      {
        line: 2,
        name: "Ibu Sari",
        phone: "08123456789",
        email: "sari@example.id",
        children: [
          { name: "Budi", classroomId: "c1" },
          { name: "Ani", classroomId: "c2" },
        ],
      },
      {
        line: 4,
        name: "Ibu Sari",
        phone: "08999999999",
        email: null,
        children: [{ name: "Joko", classroomId: "c1" }],
      },
    ]);
  });
});

describe("planRoster", () => {
  const cases: {
    name: string;
    rows: ReturnType<typeof row>[];
    existing: Guardian[];
    want: Partial<ReturnType<typeof summary>>;
  }[] = [
    {
      name: "the same roster again: everyone unchanged",
      rows: [row(2, "Ibu Sari", "0811", "Budi", "c1")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]])],
      want: { ...none, matched: ["Ibu Sari→g1"], unchanged: 1 },
    },
    {
      name: "kenaikan kelas: same guardian and child, new classroom, is a move",
      rows: [row(2, "Ibu Sari", "0811", "Budi", "c2")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]])],
      want: { ...none, matched: ["Ibu Sari→g1"], moved: ["Budi: c1→c2"], unchanged: 0 },
    },
    {
      name: "kenaikan kelas with a new phone: matched by name and child, a move and a phone change",
      rows: [row(2, "Ibu Sari", "0822", "Budi", "c2")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]])],
      want: { ...none, matched: ["Ibu Sari→g1"], moved: ["Budi: c1→c2"], fields: ["phone: 0811→0822"] },
    },
    {
      name: "a first phone for a guardian who had none",
      rows: [row(2, "Ibu Sari", "0822", "Budi", "c1")],
      existing: [on("g1", "Ibu Sari", null, [["Budi", "c1"]])],
      want: { ...none, matched: ["Ibu Sari→g1"], fields: ["phone: null→0822"] },
    },
    {
      name: "a blank phone on the roster keeps the one on file",
      rows: [row(2, "Ibu Sari", null, "Budi", "c1")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]])],
      want: { ...none, matched: ["Ibu Sari→g1"], unchanged: 1 },
    },
    {
      name: "same name, new phone, no child in common: a different guardian; the old one is missing",
      rows: [row(2, "Ibu Sari", "0822", "Citra", "c1")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]])],
      want: { ...none, added: ["Ibu Sari"], matched: [], missing: ["g1"] },
    },
    {
      name: "a guardian who left is missing; one already revoked is not; the demo guardian never is",
      rows: [row(2, "Ibu Sari", "0811", "Budi", "c1")],
      existing: [
        on("g1", "Ibu Sari", "0811", [["Budi", "c1"]]),
        on("g2", "Pak Andi", "0833", [["Citra", "c1"]]),
        on("g3", "Pak Lama", null, [["Dodi", "c1"]], { revokedAt: "2026-01-01T00:00:00.000Z" }),
        on("g4", "Wali Demo", null, [["Anak Demo", "c1"]], { demo: true }),
      ],
      want: { ...none, matched: ["Ibu Sari→g1"], missing: ["g2"], unchanged: 1 },
    },
    {
      name: "one child moves up, a sibling graduates (removed), a new sibling starts (added)",
      rows: [row(2, "Ibu Sari", "0811", "Budi", "c2"), row(3, "Ibu Sari", "0811", "Dewi", "c1")],
      existing: [
        on("g1", "Ibu Sari", "0811", [
          ["Budi", "c1"],
          ["Ani", "c6"],
        ]),
      ],
      want: {
        ...none,
        matched: ["Ibu Sari→g1"],
        moved: ["Budi: c1→c2"],
        childrenAdded: ["Dewi@c1"],
        childrenRemoved: ["Ani@c6"],
      },
    },
    {
      name: "an exact match is never taken by a namesake whose phone changed",
      rows: [row(2, "Ibu Sari", "0822", "Budi", "c2"), row(3, "Ibu Sari", "0811", "Budi", "c1")],
      existing: [
        on("g1", "Ibu Sari", "0811", [["Budi", "c1"]]),
        on("g2", "Ibu Sari", "0833", [["Budi", "c5"]]),
      ],
      want: {
        ...none,
        matched: ["Ibu Sari→g2", "Ibu Sari→g1"],
        moved: ["Budi: c5→c2"],
        fields: ["phone: 0833→0822"],
        unchanged: 1,
      },
    },
    {
      name: "a live guardian is matched before a revoked namesake with the same phone",
      rows: [row(2, "Ibu Sari", "0811", "Budi", "c1")],
      existing: [
        on("g0", "Ibu Sari", "0811", [["Budi", "c1"]], { revokedAt: "2026-01-01T00:00:00.000Z" }),
        on("g1", "Ibu Sari", "0811", [["Budi", "c1"]]),
      ],
      want: { ...none, matched: ["Ibu Sari→g1"], unchanged: 1 },
    },
    {
      name: "names match in any case; e-mail given on the roster replaces the one on file",
      rows: [row(2, "ibu sari", "0811", "budi", "c1", "baru@example.id")],
      existing: [on("g1", "Ibu Sari", "0811", [["Budi", "c1"]], { email: "lama@example.id" })],
      want: { ...none, matched: ["ibu sari→g1"], fields: ["email: lama@example.id→baru@example.id"] },
    },
    {
      name: "a new guardian is added",
      rows: [row(2, "Pak Baru", null, "Eko", "c1")],
      existing: [],
      want: { ...none, added: ["Pak Baru"], matched: [], unchanged: 0 },
    },
  ];
  it.each(cases)("$name", ({ rows, existing, want }) => {
    expect(summary(groupRoster(rows), existing)).toMatchObject(want);
  });
});

describe("rosterDigest", () => {
  const g = { ...on("g1", "Ibu Sari", "0811", [["Budi", "c1"]]), links: [], devices: [] };
  const rooms = [{ id: "c1", name: "Kelas 1A" }];
  const csv = Buffer.from("guardian_name,child_name,classroom\nIbu Sari,Budi,Kelas 1A\n");
  const base = rosterDigest(csv, [g], rooms);
  it("is the same for the same roster and state, in any order", () => {
    expect(rosterDigest(csv, [g], rooms)).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
  it.each([
    [
      "another file",
      () => rosterDigest(Buffer.from(`${csv.toString()}Pak Andi,Citra,Kelas 1A\n`), [g], rooms),
    ],
    ["a changed phone", () => rosterDigest(csv, [{ ...g, phone: "0822" }], rooms)],
    ["a renamed classroom", () => rosterDigest(csv, [g], [{ id: "c1", name: "Kelas 2A" }])],
    ["a revocation", () => rosterDigest(csv, [{ ...g, revokedAt: "2026-07-01T00:00:00.000Z" }], rooms)],
    [
      "a new link",
      () =>
        rosterDigest(
          csv,
          [
            {
              ...g,
              links: [
                {
                  id: "l1",
                  guardianId: "g1",
                  createdBy: null,
                  createdAt: "",
                  expiresAt: null,
                  revokedAt: null,
                },
              ],
            },
          ],
          rooms,
        ),
    ],
    ["a new guardian", () => rosterDigest(csv, [g, { ...g, id: "g2" }], rooms)],
  ])("changes with %s", (_what, other) => {
    expect(other()).not.toBe(base);
  });
});

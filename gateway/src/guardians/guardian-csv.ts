import { isUtf8 } from "node:buffer";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { emailSchema, phoneSchema } from "./guardian.js";
import { nameSchema } from "../common/names.js";

/**
 * The guardian roster a school exports from its spreadsheet, one row per child (a guardian with two children
 * has two rows, with the same name and phone). Columns, in any order, header row required:
 *   guardian_name (nama_wali), phone (telepon, optional), email (optional), child_name (nama_anak),
 *   classroom (kelas: the classroom's name in this school)
 * Comma or semicolon separated (Indonesian Excel writes semicolons), UTF-8, optional BOM.
 */
export const csvColumns = {
  guardian_name: ["guardian_name", "nama_wali", "wali", "guardian"],
  phone: ["phone", "telepon", "no_hp", "hp"],
  email: ["email", "surel"],
  child_name: ["child_name", "nama_anak", "nama_siswa", "child", "student"],
  classroom: ["classroom", "kelas", "class"],
} as const;

export interface RosterRow {
  line: number;
  guardianName: string;
  phone: string | null;
  email: string | null;
  childName: string;
  classroom: string;
}

export interface CsvProblem {
  line: number;
  field?: string;
  reason: string;
}

export const maxRosterRows = 5000;

const rowSchema = z.object({
  guardian_name: nameSchema(100),
  phone: z.union([z.literal(""), phoneSchema]),
  email: z.union([z.literal(""), emailSchema]),
  child_name: nameSchema(100),
  classroom: nameSchema(100),
});

/**
 * Parses and checks every row, returning the good rows and every problem (each bad line and why), so the
 * school fixes the file once; the caller imports only when there are no problems. Pure: classroom names are
 * resolved by the caller, which adds its own problems for the good rows.
 */
export function parseRoster(data: Buffer): { rows: RosterRow[]; problems: CsvProblem[] } {
  if (!isUtf8(data))
    return { rows: [], problems: [{ line: 0, reason: "the file is not UTF-8 text; save it as CSV UTF-8" }] };
  const text = data.toString("utf8").replace(/^\uFEFF/, "");
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
  // With `info`, each record says on which line of the file it ended: what the admin sees in a spreadsheet.
  let records: { record: string[]; info: { lines: number } }[];
  try {
    const parsed: unknown = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    });
    records = parsed as typeof records;
  } catch (err) {
    const e = err as { lines?: number; message: string };
    return { rows: [], problems: [{ line: e.lines ?? 0, reason: `not valid CSV: ${e.message}` }] };
  }
  const header = records[0]?.record;
  if (!header) return { rows: [], problems: [{ line: 1, reason: "the file is empty" }] };
  const index: Partial<Record<keyof typeof csvColumns, number>> = {};
  const problems: CsvProblem[] = [];
  header.forEach((h, i) => {
    const name = h.toLowerCase().replace(/[\s-]+/g, "_");
    for (const [col, aliases] of Object.entries(csvColumns) as [
      keyof typeof csvColumns,
      readonly string[],
    ][]) {
      if (aliases.includes(name)) index[col] = i;
    }
  });
  for (const required of ["guardian_name", "child_name", "classroom"] as const) {
    if (index[required] === undefined) {
      problems.push({
        line: 1,
        field: required,
        reason: `missing column ${required} (header row: ${header.join(", ")})`,
      });
    }
  }
  if (problems.length > 0) return { rows: [], problems };
  if (records.length - 1 > maxRosterRows) {
    return {
      rows: [],
      problems: [
        {
          line: 0,
          reason: `too many rows (${String(records.length - 1)}); at most ${String(maxRosterRows)} per file`,
        },
      ],
    };
  }
  const rows: RosterRow[] = [];
  records.slice(1).forEach(({ record: rec, info }) => {
    const line = info.lines;
    const cell = (col: keyof typeof csvColumns) => {
      const at = index[col];
      return at === undefined ? "" : (rec[at] ?? "");
    };
    const r = rowSchema.safeParse({
      guardian_name: cell("guardian_name"),
      phone: cell("phone"),
      email: cell("email"),
      child_name: cell("child_name"),
      classroom: cell("classroom"),
    });
    if (!r.success) {
      for (const issue of r.error.issues) {
        problems.push({ line, field: issue.path.map(String).join("."), reason: issue.message });
      }
      return;
    }
    rows.push({
      line,
      guardianName: r.data.guardian_name,
      phone: r.data.phone === "" ? null : r.data.phone,
      email: r.data.email === "" ? null : r.data.email,
      childName: r.data.child_name,
      classroom: r.data.classroom,
    });
  });
  if (rows.length === 0 && problems.length === 0)
    problems.push({ line: 2, reason: "the file has a header but no rows" });
  return { rows, problems };
}

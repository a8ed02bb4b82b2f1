import { describe, expect, it } from "vitest";
import { parseRoster } from "../../gateway/src/guardians/guardian-csv.js";

const csv = (text: string) => Buffer.from(text, "utf8");

describe("guardian roster CSV", () => {
  it("reads comma-separated English headers, one row per child", () => {
    const r = parseRoster(
      csv(
        "guardian_name,phone,email,child_name,classroom\n" +
          "Ibu Sari,0812-3456-7890,sari@example.id,Budi,Kelas 1A\n" +
          "Ibu Sari,0812-3456-7890,,Ani,Kelas 3B\n",
      ),
    );
    expect(r).toEqual({
      ok: true,
      rows: [
        {
          line: 2,
          guardianName: "Ibu Sari",
          phone: "081234567890",
          email: "sari@example.id",
          childName: "Budi",
          classroom: "Kelas 1A",
        },
        {
          line: 3,
          guardianName: "Ibu Sari",
          phone: "081234567890",
          email: null,
          childName: "Ani",
          classroom: "Kelas 3B",
        },
      ],
    });
  });

  it("reads what Indonesian Excel writes: BOM, semicolons, Indonesian headers, quoted commas, CRLF", () => {
    const r = parseRoster(
      csv('\uFEFFNama Wali;Telepon;Nama Anak;Kelas\r\n"Ma\'ruf, S.Pd";+62 811 222 333;Siti;Kelas 1A\r\n'),
    );
    expect(r.ok && r.rows[0]).toMatchObject({
      guardianName: "Ma'ruf, S.Pd",
      phone: "+62811222333",
      childName: "Siti",
    });
  });

  it("reports every bad line with its reason, and no rows", () => {
    const r = parseRoster(
      csv(
        "guardian_name,phone,child_name,classroom\n" +
          "Ibu Sari,0812345678,Budi,Kelas 1A\n" +
          ",0812345678,Budi,Kelas 1A\n" + // line 3: no guardian name
          "Pak Andi,12,Rina,Kelas 1A\n" + // line 4: phone too short
          "<script>x</script>,0812345678,Dodi,Kelas 1A\n" + // line 5: markup
          "Ibu Lina,0812345678,Tono,\n", // line 6: no classroom
      ),
    );
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [3, "guardian_name"],
      [4, "phone"],
      [5, "guardian_name"],
      [6, "classroom"],
    ]);
    for (const p of problems) expect(p.reason.length).toBeGreaterThan(3);
  });

  it.each([
    ["missing columns", "name,kid\nA,B\n", /missing column guardian_name/],
    ["an empty file", "", /empty/],
    ["a header alone", "guardian_name,child_name,classroom\n", /no rows/],
    ["an unclosed quote", 'guardian_name,child_name,classroom\n"A,B,C\n', /not valid CSV/],
  ])("refuses %s", (_name, text, reason) => {
    const r = parseRoster(csv(text));
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.problems[0]?.reason).toMatch(reason);
  });

  it("refuses bytes that are not UTF-8", () => {
    const r = parseRoster(
      Buffer.concat([
        csv("guardian_name,child_name,classroom\nIbu "),
        Buffer.from([0xc3, 0x28]),
        csv(",A,B\n"),
      ]),
    );
    expect(r.ok ? "" : r.problems[0]?.reason).toMatch(/UTF-8/);
  });

  it("refuses more than 5000 rows", () => {
    const rows = Array.from({ length: 5001 }, (_, i) => `Wali ${String(i)},Anak,Kelas 1A`).join("\n");
    const r = parseRoster(csv(`guardian_name,child_name,classroom\n${rows}\n`));
    expect(r.ok ? "" : r.problems[0]?.reason).toMatch(/too many rows/);
  });
});

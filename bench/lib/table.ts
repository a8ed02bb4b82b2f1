/** Prints an aligned plain-text table: numbers right-aligned, text left-aligned. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_h, i) => rows.every((r) => /^[-+]?[\d.,%–]*\s*[a-zA-Z%]*$/.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = ["", title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), ""];
  process.stdout.write(out.join("\n") + "\n");
}

/** "ok" / "MISS by x" for a budget line. */
export function verdict(ok: boolean, miss?: string): string {
  return ok ? "ok" : `MISS${miss ? ` (${miss})` : ""}`;
}

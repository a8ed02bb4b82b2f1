import { escapeHtml as h } from "../common/html.js";
import type { UptimeTally } from "./uptime.js";
import type { Outage, SchoolUptime, UptimeReport } from "./uptime.service.js";

const monthNames = {
  id: [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
  ],
  en: [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ],
};

function monthLabel(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const id = `${monthNames.id[m - 1] ?? ""} ${String(y)}`;
  const en = `${monthNames.en[m - 1] ?? ""} ${String(y)}`;
  return id === en ? id : `${id} / ${en}`;
}

const percent = (t: UptimeTally) => (t.ratio === null ? "—" : `${(t.ratio * 100).toFixed(2)} %`);

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${String(minutes)} mnt / min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return `${String(hours)} j ${String(rest)} mnt / ${String(hours)} h ${String(rest)} min`;
  const days = Math.floor(hours / 24);
  return `${String(days)} hari ${String(hours % 24)} j / ${String(days)} d ${String(hours % 24)} h`;
}

function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("id-ID", {
    timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZoneName: "short",
  }).format(new Date(ms));
}

const downtime = (outages: readonly Outage[]) => outages.reduce((sum, o) => sum + (o.to - o.from), 0);

function schoolSection(s: SchoolUptime): string {
  const outages = s.cameras.flatMap((c) => c.outages.map((o) => ({ camera: c.name, ...o })));
  outages.sort((a, b) => a.from - b.from);
  const cameraRows = s.cameras
    .map(
      (c) =>
        `<tr><td>${h(c.name)}${c.registered ? "" : " <small>(dihapus / removed)</small>"}</td><td>${h(c.classroom ?? "—")}</td>` +
        `<td class="n">${percent(c.month.aroundTheClock)}</td><td class="n">${percent(c.month.inWindows)}</td>` +
        `<td class="n">${String(c.outages.length)}</td><td class="n">${c.outages.length === 0 ? "—" : duration(downtime(c.outages))}</td></tr>`,
    )
    .join("");
  const outageRows = outages
    .map(
      (o) =>
        `<tr><td>${h(o.camera)}</td><td>${h(localTime(o.from, s.timeZone))}</td>` +
        `<td>${o.open ? "masih mati / still down" : h(localTime(o.to, s.timeZone))}</td>` +
        `<td class="n">${duration(o.to - o.from)}</td><td>${h(o.reason)}</td></tr>`,
    )
    .join("");
  return (
    `<section><h2>${h(s.name)}</h2>` +
    `<p>Zona waktu / Time zone: ${h(s.timeZone)} · 24 jam / around the clock: <b>${percent(s.month.aroundTheClock)}</b> · ` +
    `jam tayang / viewing hours: <b>${percent(s.month.inWindows)}</b></p>` +
    (s.cameras.length === 0
      ? `<p>Tidak ada kamera. / No cameras.</p>`
      : `<table><thead><tr><th>Kamera / Camera</th><th>Kelas / Classroom</th><th>24 jam / Around the clock</th>` +
        `<th>Jam tayang / Viewing hours</th><th>Gangguan / Outages</th><th>Total mati / Downtime</th></tr></thead><tbody>${cameraRows}</tbody></table>`) +
    (outages.length === 0
      ? ""
      : `<h3>Gangguan / Outages</h3><table><thead><tr><th>Kamera / Camera</th><th>Mulai / From</th><th>Selesai / Until</th>` +
        `<th>Lama / Duration</th><th>Sebab / Reason</th></tr></thead><tbody>${outageRows}</tbody></table>`) +
    `</section>`
  );
}

/**
 * The monthly uptime report as one printable page (no script, no external assets), in Bahasa Indonesia and
 * English side by side: a summary of every school, then each school's cameras and outages.
 */
export function uptimeReportHtml(r: UptimeReport, generatedAt: number): string {
  const summary = r.schools
    .map((s) => {
      const outages = s.cameras.reduce((n, c) => n + c.outages.length, 0);
      return (
        `<tr><td>${h(s.name)}</td><td class="n">${String(s.cameras.length)}</td>` +
        `<td class="n">${percent(s.month.aroundTheClock)}</td><td class="n">${percent(s.month.inWindows)}</td>` +
        `<td class="n">${String(outages)}</td></tr>`
      );
    })
    .join("");
  const scope = r.schools.length === 1 ? (r.schools[0]?.name ?? "") : "Seluruh sekolah / All schools";
  return (
    `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="robots" content="noindex">` +
    `<title>Pantau — ${h(monthLabel(r.month))}</title><style>` +
    `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.4em}h2{margin-top:2em;border-bottom:1px solid #999}` +
    `table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left}` +
    `td.n{text-align:right;white-space:nowrap}th{background:#eee}small{color:#555}` +
    `@media print{body{margin:1cm}section{break-inside:avoid-page}}</style></head><body>` +
    `<h1>Laporan Ketersediaan Kamera / Camera Availability Report</h1>` +
    `<p><b>${h(monthLabel(r.month))}</b> · ${h(scope)}</p>` +
    `<p>Total: 24 jam / around the clock <b>${percent(r.total.aroundTheClock)}</b> · jam tayang / viewing hours <b>${percent(r.total.inWindows)}</b></p>` +
    `<table><thead><tr><th>Sekolah / School</th><th>Kamera / Cameras</th><th>24 jam / Around the clock</th>` +
    `<th>Jam tayang / Viewing hours</th><th>Gangguan / Outages</th></tr></thead><tbody>${summary}</tbody></table>` +
    r.schools.map(schoolSection).join("") +
    `<p><small>Dihitung dari perubahan status kamera, bukan dari jumlah pemeriksaan; jendela pemeliharaan dan masa bisu tidak dihitung. ` +
    `"Jam tayang" hanya menghitung jadwal tayang kelas. — Computed from camera state changes, not from counting probes; ` +
    `maintenance windows and muted periods are left out. "Viewing hours" counts only the classroom's viewing windows. ` +
    `Dibuat / Generated ${h(new Date(generatedAt).toISOString())}.</small></p></body></html>`
  );
}

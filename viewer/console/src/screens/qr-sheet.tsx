import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { svgDataUrl, type Classroom } from "../components/guardian-data.js";
import { formatTime, useLang, useT } from "../i18n.js";
import { href, replaceQuery, type Route } from "../router.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { ActionButton, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

/** What POST /api/classrooms/:id/links answers: a new link for each guardian of the classroom who may have one. */
interface ClassroomLinks {
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
  skipped: { guardianId: string; guardianName: string; reason: string }[];
}

/**
 * A classroom's QR codes on A4 paper, one card per guardian with the child's name, for the teacher to hand
 * out at a parents' meeting. The links are issued when the admin asks (their addresses are shown only once),
 * so the sheet lives in this page only: reloading it issues nothing and shows nothing.
 */
export function QrSheetScreen(props: { route: Route }) {
  const t = useT();
  const lang = useLang();
  const { school } = useSession() as { school: School };
  const classroomId = props.route.query.get("classroom") ?? "";
  const rooms = useLoad(
    () => api.get<{ classrooms: Classroom[] }>(`/api/schools/${seg(school.id)}/classrooms`),
    [school.id],
  );
  const [sheet, setSheet] = useState<ClassroomLinks | undefined>(undefined);
  const room = rooms.data?.classrooms.find((c) => c.id === classroomId);

  return (
    <Page
      title={t("Lembar QR kelas", "Classroom QR sheet")}
      actions={
        <a class="btn plain no-print" href={href("/guardians", { classroom: classroomId || undefined })}>
          {t("Kembali ke daftar wali", "Back to guardians")}
        </a>
      }
    >
      <div class="no-print">
        <ErrorNotice error={rooms.error} />
        {rooms.data === undefined && rooms.loading && <Loading />}
        {rooms.data !== undefined && (
          <div class="card">
            <Field label={t("Kelas", "Classroom")}>
              <select
                name="classroom"
                value={classroomId}
                onChange={(e) => {
                  setSheet(undefined);
                  replaceQuery({ classroom: e.currentTarget.value });
                }}
              >
                <option value="">{t("Pilih kelas…", "Choose a classroom…")}</option>
                {rooms.data.classrooms.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </Field>
            <p id="sheet-explain">
              {t(
                "Tombol di bawah membuat tautan baru untuk setiap wali di kelas ini yang persetujuannya sudah tercatat, lalu menyusun lembar A4 berisi kode QR mereka. Tautan lama tidak dicabut. Bagikan setiap kartu hanya kepada wali yang namanya tertulis.",
                "The button below issues a new link for every guardian of this classroom whose consent is recorded, then lays out an A4 sheet of their QR codes. Older links are not revoked. Hand each card only to the guardian named on it.",
              )}
            </p>
            <ActionButton
              kind="primary"
              disabled={room === undefined}
              aria-describedby="sheet-explain"
              onAction={async () => {
                setSheet(undefined);
                setSheet(await api.post<ClassroomLinks>(`/api/classrooms/${seg(classroomId)}/links`, {}));
              }}
            >
              {t("Buat tautan baru dan lembar QR", "Issue new links and the QR sheet")}
            </ActionButton>
          </div>
        )}
      </div>
      {sheet !== undefined && (
        <>
          <div class="no-print sheet-tools">
            <p role="status">
              {t("{n} kartu siap dicetak.", "{n} cards ready to print.").replace(
                "{n}",
                String(sheet.links.length),
              )}
            </p>
            <button
              type="button"
              class="btn primary"
              disabled={sheet.links.length === 0}
              onClick={() => {
                window.print();
              }}
            >
              Cetak / Print
            </button>
            {sheet.skipped.length > 0 && (
              <div class="card skipped">
                <h3>{t("Tidak ada di lembar", "Not on the sheet")}</h3>
                <ul>
                  {sheet.skipped.map((s) => (
                    <li key={s.guardianId}>
                      <span class="who">{s.guardianName}</span>: {skipReason(s.reason, t)}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
          <div class="qr-sheet" aria-label={t("Lembar cetak", "Print sheet")} role="region">
            <p class="qr-sheet-head">
              {sheet.school.name} · {sheet.classroom.name}
            </p>
            <ul class="qr-cards">
              {sheet.links.map((l) => (
                <li key={l.linkId} class="qr-card">
                  <img
                    src={svgDataUrl(l.qrSvg)}
                    width={160}
                    height={160}
                    alt={t("Kode QR untuk {name}", "QR code for {name}").replace("{name}", l.guardianName)}
                  />
                  <div class="qr-card-text">
                    <p class="qr-child">{l.children.join(", ")}</p>
                    <p class="qr-guardian">
                      {t("Wali", "Guardian")}: {l.guardianName}
                    </p>
                    <p class="qr-place">
                      {sheet.classroom.name} · {sheet.school.name}
                    </p>
                    <p class="qr-howto" lang="id">
                      Pindai dengan kamera HP untuk melihat kelas anak Anda selama jam sekolah. Kode ini hanya
                      untuk Anda: jangan dibagikan.
                    </p>
                    <p class="qr-howto" lang="en">
                      Scan with your phone's camera to watch your child's classroom during school hours. This
                      code is for you only: do not share it.
                    </p>
                    {l.expiresAt !== null && (
                      <p class="qr-expiry">
                        {t("Berlaku sampai", "Valid until")} {formatTime(l.expiresAt, lang, school.timeZone)}
                      </p>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          </div>
        </>
      )}
    </Page>
  );
}

function skipReason(reason: string, t: ReturnType<typeof useT>): string {
  switch (reason) {
    case "no_consent":
      return t("persetujuan belum tercatat", "consent not recorded");
    case "revoked":
      return t("akses wali dicabut", "the guardian's access is revoked");
    default:
      return reason;
  }
}

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import { useT } from "../i18n.js";
import { href } from "../router.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { ErrorNotice, Field, Page } from "../ui.js";

interface ChildIn {
  name: string;
  classroom?: string;
  classroomId?: string;
}

/** What POST …/guardians/import/preview answers: what applying this roster as the whole school's would do. */
interface Preview {
  rows: number;
  added: { line: number; name: string; phone: string | null; email: string | null; children: ChildIn[] }[];
  changed: {
    guardianId: string;
    name: string;
    fields: Partial<Record<"phone" | "email", { from: string | null; to: string | null }>>;
  }[];
  moved: { guardianId: string; name: string; child: string; from: string; to: string }[];
  /** A guardian on file gains or loses a child (a sibling enrolled, one who left). */
  childrenAdded?: ChildChange[];
  childrenRemoved?: ChildChange[];
  missing: {
    guardianId: string;
    name: string;
    children: (string | ChildIn)[];
    links: number | unknown[];
    devices: number | unknown[];
  }[];
  unchanged: number;
  digest: string;
}

interface ChildChange {
  guardianId: string;
  name: string;
  child: string;
  classroom: string;
}

interface Applied {
  created: number;
  updated: number;
  moved: number;
  revoked: number;
  childrenAdded: number;
  childrenRemoved?: number;
}

interface Problem {
  line: number;
  field?: string;
  reason: string;
}

type State =
  | { step: "choose" }
  | { step: "problems"; problems: Problem[]; error: unknown }
  | { step: "preview"; preview: Preview }
  | { step: "stale" }
  | { step: "done"; result: Applied };

/**
 * The start of a school year (kenaikan kelas): a CSV roster of the whole school, previewed first (who is
 * added, changed, moved to another classroom, missing and so revoked), then applied in one go. The digest of
 * the preview goes with the apply, so a roster changed by someone else in between is refused, not half-applied.
 */
export function RosterImportScreen() {
  const t = useT();
  const { school } = useSession() as { school: School };
  const [csv, setCsv] = useState<{ name: string; text: string } | undefined>(undefined);
  const [state, setState] = useState<State>({ step: "choose" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const base = `/api/schools/${seg(school.id)}/guardians/import`;

  const preview = async (text: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const p = await api.upload<Preview>(`${base}/preview`, text, "text/csv");
      setState({ step: "preview", preview: p });
    } catch (e) {
      if (e instanceof ApiError && e.code === "invalid_csv") {
        setState({ step: "problems", problems: (e.extra.problems as Problem[] | undefined) ?? [], error: e });
      } else {
        setState({ step: "choose" });
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  const apply = async (p: Preview) => {
    if (csv === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.upload<Applied>(
        `${base}?roster=replace&digest=${encodeURIComponent(p.digest)}`,
        csv.text,
        "text/csv",
      );
      setState({ step: "done", result });
    } catch (e) {
      if (e instanceof ApiError && e.code === "roster_changed") setState({ step: "stale" });
      else if (e instanceof ApiError && e.code === "invalid_csv")
        setState({ step: "problems", problems: (e.extra.problems as Problem[] | undefined) ?? [], error: e });
      else setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page
      title={t("Impor daftar wali", "Import the guardian roster")}
      actions={
        <a class="btn plain" href={href("/guardians")}>
          {t("Kembali ke daftar wali", "Back to guardians")}
        </a>
      }
    >
      <div class="card">
        <p>
          {t(
            "Berkas CSV dari spreadsheet sekolah, satu baris per anak, dengan kolom: nama_wali, telepon (opsional), email (opsional), nama_anak, kelas (nama kelas seperti di Pantau). Daftar ini dianggap daftar lengkap sekolah: wali yang tidak ada di dalamnya dicabut aksesnya.",
            "A CSV file from the school's spreadsheet, one row per child, with the columns guardian_name, phone (optional), email (optional), child_name, classroom (the classroom's name as in Pantau). It is taken as the whole school's roster: guardians not on it lose their access.",
          )}
        </p>
        <Field
          label={t("Berkas CSV", "CSV file")}
          hint={t(
            "Belum ada yang diubah sampai Anda menekan Terapkan.",
            "Nothing changes until you press Apply.",
          )}
        >
          <input
            type="file"
            name="roster"
            accept=".csv,text/csv"
            disabled={busy}
            onChange={(e) => {
              const input = e.currentTarget;
              const file = input.files?.[0];
              if (file === undefined) return;
              void file.text().then((text) => {
                // Cleared, so choosing the same file again after fixing it is a change too.
                input.value = "";
                setCsv({ name: file.name, text });
                return preview(text);
              });
            }}
          />
        </Field>
        {busy && (
          <p class="loading" role="status">
            {t("Memeriksa…", "Checking…")}
          </p>
        )}
      </div>
      <ErrorNotice error={error} />
      {state.step === "problems" && <Problems problems={state.problems} error={state.error} />}
      {state.step === "stale" && (
        <div class="notice error" role="alert">
          <p>
            {t(
              "Data wali berubah sejak pratinjau dibuat (mungkin oleh admin lain). Tidak ada yang diubah. Lihat pratinjau lagi sebelum menerapkan.",
              "The guardians changed since the preview was made (perhaps by another admin). Nothing was changed. Preview again before applying.",
            )}
          </p>
          <button
            type="button"
            class="btn primary"
            disabled={busy || csv === undefined}
            onClick={() => {
              if (csv !== undefined) void preview(csv.text);
            }}
          >
            {t("Pratinjau lagi", "Preview again")}
          </button>
        </div>
      )}
      {state.step === "preview" && (
        <PreviewView
          preview={state.preview}
          fileName={csv?.name ?? ""}
          busy={busy}
          onApply={() => {
            void apply(state.preview);
          }}
        />
      )}
      {state.step === "done" && (
        <div class="notice ok" role="status">
          <p>
            {t("Daftar diterapkan.", "Roster applied.")}{" "}
            {t(
              "{created} wali baru, {updated} diperbarui, {moved} anak pindah kelas, {revoked} wali dicabut aksesnya, {childrenAdded} anak ditambahkan.",
              "{created} new guardians, {updated} updated, {moved} children moved, {revoked} guardians revoked, {childrenAdded} children added.",
            )
              .replace("{created}", String(state.result.created))
              .replace("{updated}", String(state.result.updated))
              .replace("{moved}", String(state.result.moved))
              .replace("{revoked}", String(state.result.revoked))
              .replace("{childrenAdded}", String(state.result.childrenAdded))}
          </p>
          <a class="btn primary" href={href("/guardians")}>
            {t("Lihat daftar wali", "See the guardians")}
          </a>
        </div>
      )}
    </Page>
  );
}

function fieldName(f: string | undefined, t: ReturnType<typeof useT>): string {
  switch (f) {
    case "guardian_name":
      return t("nama wali", "guardian's name");
    case "phone":
      return t("telepon", "phone");
    case "email":
      return t("surel", "e-mail");
    case "child_name":
      return t("nama anak", "child's name");
    case "classroom":
      return t("kelas", "classroom");
    case undefined:
      return "";
    default:
      return f;
  }
}

/** Every bad line at once, so the school fixes its file in one go. */
function Problems(props: { problems: Problem[]; error: unknown }) {
  const t = useT();
  return (
    <div class="card roster-problems" role="alert">
      <h3>{t("Berkas belum bisa diimpor", "The file cannot be imported yet")}</h3>
      <p>
        {t(
          "Perbaiki baris berikut di spreadsheet, simpan lagi sebagai CSV, lalu pilih berkasnya lagi. Tidak ada yang diubah.",
          "Fix these rows in the spreadsheet, save it as CSV again, then choose the file again. Nothing was changed.",
        )}
      </p>
      {props.problems.length === 0 ? (
        <ErrorNotice error={props.error} />
      ) : (
        <ul class="problem-list">
          {props.problems.map((p, i) => (
            <li key={i}>
              <strong>
                {p.line > 0 ? t("Baris {n}", "Line {n}").replace("{n}", String(p.line)) : t("Berkas", "File")}
              </strong>
              {p.field !== undefined && ` (${fieldName(p.field, t)})`}: {p.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const count = (x: number | unknown[]): number => (typeof x === "number" ? x : x.length);

function childText(c: string | ChildIn): string {
  if (typeof c === "string") return c;
  return c.classroom !== undefined ? `${c.name} (${c.classroom})` : c.name;
}

function PreviewView(props: { preview: Preview; fileName: string; busy: boolean; onApply: () => void }) {
  const t = useT();
  const p = props.preview;
  const revoking = p.missing.filter((m) => count(m.links) + count(m.devices) > 0).length;
  const nothing =
    p.added.length +
      p.changed.length +
      p.moved.length +
      p.missing.length +
      (p.childrenAdded ?? []).length +
      (p.childrenRemoved ?? []).length ===
    0;
  return (
    <section class="roster-preview" aria-labelledby="preview-title">
      <h3 id="preview-title">
        {t("Pratinjau", "Preview")}: {props.fileName}
      </h3>
      <ul class="preview-counts">
        <li>
          <span class="n">{p.rows}</span> {t("baris", "rows")}
        </li>
        <li data-kind="added">
          <span class="n">{p.added.length}</span> {t("wali baru", "new guardians")}
        </li>
        <li data-kind="changed">
          <span class="n">{p.changed.length}</span> {t("data berubah", "details changed")}
        </li>
        <li data-kind="moved">
          <span class="n">{p.moved.length}</span> {t("anak pindah kelas", "children moved")}
        </li>
        <li data-kind="missing">
          <span class="n">{p.missing.length}</span> {t("tidak ada di daftar baru", "not on the new roster")}
        </li>
        <li>
          <span class="n">{p.unchanged}</span> {t("tetap", "unchanged")}
        </li>
      </ul>
      <PreviewList id="added" title={t("Wali baru", "New guardians")} empty={p.added.length === 0}>
        {p.added.map((a) => (
          <li key={a.line}>
            <span class="who">{a.name}</span>
            {a.phone !== null && ` · ${a.phone}`} — {a.children.map(childText).join(", ")}{" "}
            <span class="hint">{t("baris {n}", "line {n}").replace("{n}", String(a.line))}</span>
          </li>
        ))}
      </PreviewList>
      <PreviewList id="changed" title={t("Data berubah", "Details changed")} empty={p.changed.length === 0}>
        {p.changed.map((c) => (
          <li key={c.guardianId}>
            <span class="who">{c.name}</span>:{" "}
            {(["phone", "email"] as const)
              .filter((k) => c.fields[k] !== undefined)
              .map((k) => {
                const f = c.fields[k];
                const label = k === "phone" ? t("telepon", "phone") : t("surel", "e-mail");
                return `${label} ${f?.from ?? "—"} → ${f?.to ?? "—"}`;
              })
              .join("; ")}
          </li>
        ))}
      </PreviewList>
      <PreviewList
        id="moved"
        title={t("Pindah kelas", "Moved to another classroom")}
        empty={p.moved.length === 0}
      >
        {p.moved.map((m, i) => (
          <li key={i}>
            <span class="who">{m.child}</span> ({m.name}): {m.from} → {m.to}
          </li>
        ))}
      </PreviewList>
      {(p.childrenAdded ?? []).length + (p.childrenRemoved ?? []).length > 0 && (
        <PreviewList
          id="children"
          title={t("Anak ditambah atau dihapus", "Children added or removed")}
          empty={false}
        >
          {(p.childrenAdded ?? []).map((c, i) => (
            <li key={`a${String(i)}`}>
              + <span class="who">{c.child}</span> ({c.classroom}) — {c.name}
            </li>
          ))}
          {(p.childrenRemoved ?? []).map((c, i) => (
            <li key={`r${String(i)}`}>
              − <span class="who">{c.child}</span> ({c.classroom}) — {c.name}
            </li>
          ))}
        </PreviewList>
      )}
      <PreviewList
        id="missing"
        title={t("Tidak ada di daftar baru (akses dicabut)", "Not on the new roster (access revoked)")}
        empty={p.missing.length === 0}
      >
        {p.missing.map((m) => (
          <li key={m.guardianId}>
            <span class="who">{m.name}</span>
            {m.children.length > 0 && ` — ${m.children.map(childText).join(", ")}`}:{" "}
            {t("{l} tautan aktif dan {d} HP akan dicabut", "{l} active links and {d} phones will be revoked")
              .replace("{l}", String(count(m.links)))
              .replace("{d}", String(count(m.devices)))}
          </li>
        ))}
      </PreviewList>
      {p.missing.length > 0 && (
        <p class="notice" role="note">
          {t(
            "{n} wali tidak ada di daftar baru dan akan dicabut aksesnya ({r} di antaranya masih punya tautan atau HP aktif).",
            "{n} guardians are not on the new roster and will lose their access ({r} of them still have active links or phones).",
          )
            .replace("{n}", String(p.missing.length))
            .replace("{r}", String(revoking))}
        </p>
      )}
      <div class="actions">
        <button type="button" class="btn primary" disabled={props.busy || nothing} onClick={props.onApply}>
          {t("Terapkan daftar ini", "Apply this roster")}
        </button>
        <a class="btn plain" href={href("/guardians")}>
          {t("Batal", "Cancel")}
        </a>
      </div>
      {nothing && (
        <p class="hint">{t("Daftar ini tidak mengubah apa pun.", "This roster changes nothing.")}</p>
      )}
    </section>
  );
}

function PreviewList(props: { id: string; title: string; empty: boolean; children: ComponentChildren }) {
  const t = useT();
  return (
    <section class="card preview-list" data-kind={props.id} aria-labelledby={`preview-${props.id}`}>
      <h4 id={`preview-${props.id}`}>{props.title}</h4>
      {props.empty ? <p class="empty">{t("Tidak ada.", "None.")}</p> : <ul>{props.children}</ul>}
    </section>
  );
}

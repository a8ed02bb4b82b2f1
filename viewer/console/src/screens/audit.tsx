import { useState } from "preact/hooks";
import { api } from "../api.js";
import { addDays, instantOf } from "../components/time-zone.js";
import { fill, formatTime, useLang, useT } from "../i18n.js";
import { href, navigate, type Route } from "../router.js";
import { useSession } from "../session.js";
import { Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

interface AuditEvent {
  seq: number;
  at: string;
  schoolId: string | null;
  actor: { kind: "user" | "guardian" | "system"; id: string | null; name: string; ip?: string };
  action: string;
  target: { kind: string | null; id: string | null };
  detail: Record<string, unknown>;
}

const pageSize = 50;

/** The filters the screen keeps in its address (shareable, and the back button goes to the previous ones). */
const filterKeys = ["action", "actor", "target", "from", "to"] as const;
type Filters = Record<(typeof filterKeys)[number], string>;

/** Actions and prefixes an admin looks for most (the gateway matches a prefix: "guardian" = guardian.*). */
const knownActions = [
  "viewing",
  "viewing.session",
  "camera",
  "camera.snapshot",
  "classroom",
  "classroom.pause",
  "classroom.resume",
  "classroom.schedule",
  "guardian",
  "link",
  "device",
  "user",
  "auth",
  "auth.login_failed",
  "school",
];

/** The query the gateway takes for these filters, dates read as whole days in the school's time zone. */
function auditQuery(f: Filters, schoolId: string | undefined, timeZone: string): URLSearchParams {
  const q = new URLSearchParams();
  if (schoolId !== undefined) q.set("schoolId", schoolId);
  if (f.action !== "") q.set("action", f.action);
  if (f.actor !== "") q.set("actor", f.actor);
  if (f.target !== "") q.set("target", f.target);
  if (f.from !== "") q.set("from", new Date(instantOf(f.from, 0, timeZone)).toISOString());
  if (f.to !== "") q.set("to", new Date(instantOf(addDays(f.to, 1), 0, timeZone)).toISOString());
  return q;
}

/** Who did what and when (admins' changes and parents' viewing), filtered, paged, and exported as CSV. */
export function AuditScreen(props: { route: Route }) {
  const t = useT();
  const lang = useLang();
  const { school } = useSession();
  const tz = school?.timeZone ?? "Asia/Jakarta";
  const filters = Object.fromEntries(filterKeys.map((k) => [k, props.route.query.get(k) ?? ""])) as Filters;
  const before = props.route.query.get("before") ?? "";
  const key = JSON.stringify([filters, before, school?.id]);
  const base = auditQuery(filters, school?.id, tz);
  const page = useLoad(() => {
    const q = new URLSearchParams(base);
    q.set("limit", String(pageSize + 1));
    if (before !== "") q.set("before", before);
    return api.get<{ events: AuditEvent[] }>(`/api/audit?${q.toString()}`);
  }, [key]);
  const csv = new URLSearchParams(base);
  csv.set("format", "csv");
  csv.set("limit", "100000");
  const events = page.data?.events.slice(0, pageSize) ?? [];
  const more = (page.data?.events.length ?? 0) > pageSize;
  const last = events.at(-1);
  const filterTo = (k: "actor" | "target", v: string) =>
    href("/audit", { ...Object.fromEntries(Object.entries(filters)), [k]: v });
  return (
    <Page title={t("Log audit", "Audit log")}>
      <AuditFilters key={key} filters={filters} />
      <p class="audit-export">
        <a class="btn" href={`/api/audit?${csv.toString()}`} download="pantau-audit.csv">
          {t("Unduh CSV (dengan saringan ini)", "Download CSV (with these filters)")}
        </a>
      </p>
      <ErrorNotice error={page.error} />
      {page.data === undefined ? (
        page.loading && <Loading />
      ) : events.length === 0 ? (
        <Empty>{t("Tidak ada catatan untuk saringan ini.", "Nothing recorded for these filters.")}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data audit">
            <caption class="visually-hidden">{t("Catatan audit", "Audit records")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("Waktu", "Time")}</th>
                <th scope="col">{t("Pelaku", "Who")}</th>
                <th scope="col">{t("Tindakan", "Action")}</th>
                <th scope="col">{t("Sasaran", "Target")}</th>
                <th scope="col">{t("Rincian", "Detail")}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.seq} data-seq={e.seq} data-action={e.action}>
                  <td>{formatTime(e.at, lang, tz)}</td>
                  <td>
                    <a
                      href={filterTo("actor", e.actor.name)}
                      title={t("Saring ke pelaku ini", "Filter to this actor")}
                    >
                      {e.actor.name}
                    </a>
                    <span class="audit-kind">
                      {e.actor.kind === "user"
                        ? t("admin", "admin")
                        : e.actor.kind === "guardian"
                          ? t("wali", "guardian")
                          : t("sistem", "system")}
                      {e.actor.ip !== undefined && ` · ${e.actor.ip}`}
                    </span>
                  </td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.target.id === null ? (
                      "—"
                    ) : (
                      <a
                        href={filterTo("target", e.target.id)}
                        title={t("Saring ke sasaran ini", "Filter to this target")}
                      >
                        {e.target.kind ?? ""} {e.target.id}
                      </a>
                    )}
                  </td>
                  <td class="audit-detail">{detailText(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label={t("Halaman log", "Log pages")}>
        {before !== "" && (
          <a class="btn" href={href("/audit", { ...filters })}>
            {t("← Terbaru", "← Newest")}
          </a>
        )}
        {more && last !== undefined && (
          <a class="btn" href={href("/audit", { ...filters, before: String(last.seq) })}>
            {t("Lebih lama →", "Older →")}
          </a>
        )}
        {events.length > 0 && (
          <span class="pager-info">
            {fill(t("{n} catatan di halaman ini", "{n} records on this page"), { n: events.length })}
          </span>
        )}
      </nav>
    </Page>
  );
}

/** A record's detail as one line of text (names in it stay text: never markup). */
function detailText(d: Record<string, unknown>): string {
  const s = Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

function AuditFilters(props: { filters: Filters }) {
  const t = useT();
  const [f, setF] = useState<Filters>(props.filters);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const set = (k: keyof Filters) => (e: { currentTarget: { value: string } }) => {
    setF({ ...f, [k]: e.currentTarget.value.trim() });
  };
  return (
    <form
      class="card audit-filters"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (f.action !== "" && !/^[a-z_.]{1,50}$/.test(f.action)) {
          setProblem(
            t(
              "Tindakan: huruf kecil, titik atau garis bawah saja.",
              "Action: lower-case letters, dots or underscores only.",
            ),
          );
          return;
        }
        if (f.from !== "" && f.to !== "" && f.to < f.from) {
          setProblem(t("Tanggal akhir sebelum tanggal awal.", "The end date is before the start date."));
          return;
        }
        setProblem(undefined);
        navigate("/audit", { ...f });
      }}
    >
      <div class="filter-grid">
        <Field
          label={t("Tindakan", "Action")}
          hint={t(
            "mis. classroom.pause, atau awalannya: guardian",
            "e.g. classroom.pause, or its prefix: guardian",
          )}
        >
          <input
            name="action"
            list="audit-actions"
            value={f.action}
            onInput={set("action")}
            autoCapitalize="none"
          />
        </Field>
        <datalist id="audit-actions">
          {knownActions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <Field label={t("Pelaku", "Who")} hint={t("Nama pengguna admin", "An admin's username")}>
          <input name="actor" value={f.actor} onInput={set("actor")} autoCapitalize="none" />
        </Field>
        <Field
          label={t("Sasaran (id)", "Target (id)")}
          hint={t("Klik sasaran di tabel untuk menyaring", "Click a target in the table to filter")}
        >
          <input name="target" value={f.target} onInput={set("target")} autoCapitalize="none" />
        </Field>
        <Field label={t("Dari tanggal", "From date")}>
          <input type="date" name="from" value={f.from} onInput={set("from")} />
        </Field>
        <Field label={t("Sampai tanggal", "To date")}>
          <input type="date" name="to" value={f.to} onInput={set("to")} />
        </Field>
      </div>
      {problem !== undefined && (
        <p class="notice error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn primary">
          {t("Terapkan saringan", "Apply filters")}
        </button>
        <a class="btn" href={href("/audit")}>
          {t("Hapus saringan", "Clear filters")}
        </a>
      </div>
    </form>
  );
}

import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { ConfirmAction } from "../components/confirm-action.js";
import {
  activeDevices,
  activeLinks,
  consentMethods,
  consentMethodText,
  phoneDigits,
  type Classroom,
  type ConsentMethod,
  type GuardianDevice,
  type GuardianRow,
  type IssuedLink,
} from "../components/guardian-data.js";
import { LinkShare } from "../components/link-share.js";
import { wallClock } from "../components/time-zone.js";
import { useAction } from "../components/use-action.js";
import { formatTime, useLang, useT, type T } from "../i18n.js";
import { href, replaceQuery, type Route } from "../router.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { ActionButton, Badge, Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

type ConsentFilter = "" | "yes" | "no";

/**
 * The school's guardians: search by name, child or phone, filter by classroom and consent; each guardian's
 * children, consent record, links (issue, share, revoke), phones and last viewing. The filters live in the
 * address, so a reload or a shared address shows the same list.
 */
export function GuardiansScreen(props: { route: Route }) {
  const t = useT();
  const { school } = useSession() as { school: School };
  const q = props.route.query.get("q") ?? "";
  const classroom = props.route.query.get("classroom") ?? "";
  const consent = (props.route.query.get("consent") ?? "") as ConsentFilter;
  const setQuery = (change: Record<string, string>) => {
    replaceQuery({ q, classroom, consent, ...change });
  };
  const { data, error, loading, reload } = useLoad(async () => {
    const [g, c] = await Promise.all([
      api.get<{ guardians: GuardianRow[]; requireConsent?: boolean }>(
        `/api/schools/${seg(school.id)}/guardians`,
      ),
      api.get<{ classrooms: Classroom[] }>(`/api/schools/${seg(school.id)}/classrooms`),
    ]);
    return { guardians: g.guardians, classrooms: c.classrooms, requireConsent: g.requireConsent !== false };
  }, [school.id]);
  const [adding, setAdding] = useState(false);
  const rooms = useMemo(() => new Map((data?.classrooms ?? []).map((c) => [c.id, c.name])), [data]);
  const shown = useMemo(
    () => (data ? filterGuardians(data.guardians, { q, classroom, consent }) : []),
    [data, q, classroom, consent],
  );

  return (
    <Page
      title={t("Wali murid", "Guardians")}
      actions={
        <>
          <button
            type="button"
            class="btn primary"
            aria-expanded={adding}
            onClick={() => {
              setAdding(!adding);
            }}
          >
            {t("Tambah wali", "Add guardian")}
          </button>
          <a class="btn plain" href={href("/guardians/import")}>
            {t("Impor daftar (CSV)", "Import roster (CSV)")}
          </a>
          <a class="btn plain" href={href("/guardians/sheet", { classroom: classroom || undefined })}>
            {t("Lembar QR per kelas", "Classroom QR sheet")}
          </a>
        </>
      }
    >
      {adding && data && (
        <div class="card">
          <h3>{t("Wali baru", "New guardian")}</h3>
          <GuardianForm
            classrooms={data.classrooms}
            onCancel={() => {
              setAdding(false);
            }}
            onSave={async (body) => {
              await api.post(`/api/schools/${seg(school.id)}/guardians`, body);
              setAdding(false);
              await reload();
            }}
          />
        </div>
      )}
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
        }}
      >
        <Field
          label={t("Cari", "Search")}
          hint={t("Nama wali, nama anak, atau nomor HP", "Guardian's name, child's name or phone")}
        >
          <input
            type="search"
            name="q"
            value={q}
            onInput={(e) => {
              setQuery({ q: e.currentTarget.value });
            }}
          />
        </Field>
        <Field label={t("Kelas", "Classroom")}>
          <select
            name="classroom"
            value={classroom}
            onChange={(e) => {
              setQuery({ classroom: e.currentTarget.value });
            }}
          >
            <option value="">{t("Semua kelas", "All classrooms")}</option>
            {(data?.classrooms ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("Persetujuan", "Consent")}>
          <select
            name="consent"
            value={consent}
            onChange={(e) => {
              setQuery({ consent: e.currentTarget.value });
            }}
          >
            <option value="">{t("Semua", "All")}</option>
            <option value="yes">{t("Sudah tercatat", "Recorded")}</option>
            <option value="no">{t("Belum tercatat", "Not recorded")}</option>
          </select>
        </Field>
      </form>
      <ErrorNotice error={error} />
      {loading && data === undefined && <Loading />}
      {data && (
        <>
          <p class="count" role="status">
            {t("{n} dari {total} wali", "{n} of {total} guardians")
              .replace("{n}", String(shown.length))
              .replace("{total}", String(data.guardians.length))}
          </p>
          {shown.length === 0 ? (
            <Empty>
              {data.guardians.length === 0
                ? t(
                    "Belum ada wali. Tambahkan satu atau impor daftar CSV.",
                    "No guardians yet. Add one or import a CSV roster.",
                  )
                : t("Tidak ada wali yang cocok.", "No guardian matches.")}
            </Empty>
          ) : (
            <ul class="guardian-list">
              {shown.map((g) => (
                <li key={g.id}>
                  <GuardianCard
                    guardian={g}
                    rooms={rooms}
                    classrooms={data.classrooms}
                    school={school}
                    requireConsent={data.requireConsent}
                    reload={reload}
                  />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}

/** The list as the search box and filters narrow it (pure, so the same rules hold wherever it is used). */
export function filterGuardians(
  all: GuardianRow[],
  f: { q: string; classroom: string; consent: ConsentFilter },
): GuardianRow[] {
  const words = f.q.trim().toLowerCase();
  const digits = phoneDigits(f.q);
  return all.filter((g) => {
    if (f.classroom !== "" && !g.children.some((c) => c.classroomId === f.classroom)) return false;
    const has = g.consent !== undefined && g.consent !== null;
    if (f.consent === "yes" && !has) return false;
    if (f.consent === "no" && has) return false;
    if (words === "") return true;
    if (g.name.toLowerCase().includes(words)) return true;
    if (g.children.some((c) => c.name.toLowerCase().includes(words))) return true;
    return digits.length >= 3 && g.phone !== null && phoneDigits(g.phone).includes(digits);
  });
}

function GuardianCard(props: {
  guardian: GuardianRow;
  rooms: Map<string, string>;
  classrooms: Classroom[];
  school: School;
  /** The gateway's guardians.requireConsent: a link only after consent is on record. */
  requireConsent: boolean;
  reload: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const { guardian: g, rooms, school, reload } = props;
  const [editing, setEditing] = useState(false);
  const titleId = `guardian-${g.id}`;
  return (
    <article class="card guardian" aria-labelledby={titleId} data-guardian-id={g.id}>
      <div class="guardian-head">
        <h3 id={titleId}>{g.name}</h3>
        {g.revokedAt !== null && <Badge tone="bad">{t("Akses dicabut", "Access revoked")}</Badge>}
        {g.consent ? (
          <Badge tone="ok">{t("Persetujuan tercatat", "Consent recorded")}</Badge>
        ) : (
          <Badge tone="warn">{t("Belum ada persetujuan", "No consent yet")}</Badge>
        )}
      </div>
      <ul class="children">
        {g.children.map((c, i) => (
          <li key={i}>
            <span class="child-name">{c.name}</span> —{" "}
            {rooms.get(c.classroomId) ?? t("kelas tidak dikenal", "unknown classroom")}
          </li>
        ))}
      </ul>
      <p class="contact">
        {g.phone ?? t("tanpa nomor HP", "no phone number")}
        {g.email !== null && ` · ${g.email}`}
        {" · "}
        {t("Terakhir menonton", "Last viewing")}: {formatTime(g.lastViewedAt, lang, school.timeZone)}
      </p>
      <p class="access-summary">
        {t("{l} tautan aktif · {d} HP terdaftar", "{l} active links · {d} registered phones")
          .replace("{l}", String(activeLinks(g).length))
          .replace("{d}", String(activeDevices(g).length))}
      </p>
      {/* Closed by default: a school has hundreds of guardians, and the list is read before it is managed. */}
      <details class="guardian-manage">
        <summary>
          {t("Kelola persetujuan, tautan dan HP", "Manage consent, links and phones")}
          <span class="visually-hidden"> {g.name}</span>
        </summary>
        {editing ? (
          <GuardianForm
            initial={g}
            classrooms={props.classrooms}
            onCancel={() => {
              setEditing(false);
            }}
            onSave={async (body) => {
              await api.patch(`/api/guardians/${seg(g.id)}`, {
                ...body,
                phone: body.phone ?? null,
                email: body.email ?? null,
              });
              setEditing(false);
              await reload();
            }}
          />
        ) : (
          <div class="actions">
            <button
              type="button"
              class="btn plain"
              onClick={() => {
                setEditing(true);
              }}
            >
              {t("Ubah", "Edit")}
              <span class="visually-hidden"> {g.name}</span>
            </button>
            <ConfirmAction
              label={t("Hapus wali", "Remove guardian")}
              question={t(
                "Hapus wali ini beserta semua tautan dan HP-nya?",
                "Remove this guardian with all their links and phones?",
              )}
              confirmLabel={t("Ya, hapus", "Yes, remove")}
              onConfirm={async () => {
                await api.delete(`/api/guardians/${seg(g.id)}`);
                await reload();
              }}
            />
          </div>
        )}
        <div class="guardian-parts">
          <ConsentPart guardian={g} school={school} reload={reload} />
          <LinksPart guardian={g} school={school} requireConsent={props.requireConsent} reload={reload} />
          <PhonesPart guardian={g} school={school} reload={reload} />
        </div>
      </details>
    </article>
  );
}

function Part(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="g-part">
      <h4>{props.title}</h4>
      {props.children}
    </section>
  );
}

/** Consent as UU PDP 27/2022 asks it be provable: when, how, recorded by whom; withdrawing cuts access. */
function ConsentPart(props: { guardian: GuardianRow; school: School; reload: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const { guardian: g, school } = props;
  const [recording, setRecording] = useState(false);
  const c = g.consent ?? null;
  return (
    <Part title={t("Persetujuan", "Consent")}>
      {c !== null ? (
        <>
          <p class="consent-record">
            {t("Dicatat", "Recorded")} {formatTime(c.recordedAt, lang, school.timeZone)} ·{" "}
            {consentMethodText(c.method, t)}
            {c.recordedBy !== null && ` · ${t("oleh", "by")} ${c.recordedBy.name}`}
          </p>
          {c.note !== null && c.note !== "" && <p class="consent-note">{c.note}</p>}
          <ConfirmAction
            label={t("Tarik persetujuan", "Withdraw consent")}
            question={t(
              "Tarik persetujuan? Semua tautan dan HP wali ini langsung dicabut.",
              "Withdraw consent? All of this guardian's links and phones are revoked at once.",
            )}
            confirmLabel={t("Ya, tarik", "Yes, withdraw")}
            onConfirm={async () => {
              await api.delete(`/api/guardians/${seg(g.id)}/consent`);
              await props.reload();
            }}
          />
        </>
      ) : recording ? (
        <ConsentForm
          timeZone={school.timeZone}
          onCancel={() => {
            setRecording(false);
          }}
          onSave={async (body) => {
            await api.post(`/api/guardians/${seg(g.id)}/consent`, body);
            setRecording(false);
            await props.reload();
          }}
        />
      ) : (
        <>
          <p>
            {t(
              "Belum ada persetujuan tercatat. Tautan baru dapat dibuat setelah persetujuan wali dicatat.",
              "No consent recorded. Links can be issued once the guardian's consent is recorded.",
            )}
          </p>
          <button
            type="button"
            class="btn primary"
            onClick={() => {
              setRecording(true);
            }}
          >
            {t("Catat persetujuan", "Record consent")}
            <span class="visually-hidden"> {g.name}</span>
          </button>
        </>
      )}
    </Part>
  );
}

/** Today in the school's zone, as a date input writes it (YYYY-MM-DD). */
function today(timeZone: string): string {
  return wallClock(Date.now(), timeZone).date;
}

function ConsentForm(props: {
  timeZone: string;
  onSave: (body: { method: ConsentMethod; note?: string; recordedAt?: string }) => Promise<void>;
  onCancel: () => void;
}) {
  const t = useT();
  const max = today(props.timeZone);
  const [method, setMethod] = useState<ConsentMethod>("paper_form");
  const [note, setNote] = useState("");
  const [date, setDate] = useState(max);
  const { busy, error, run } = useAction();
  const dateError =
    date === ""
      ? t("Isi tanggalnya.", "Fill in the date.")
      : date > max
        ? t("Tanggal tidak boleh di masa depan.", "The date cannot be in the future.")
        : undefined;
  return (
    <form
      class="consent-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (dateError !== undefined) return;
        // A past date is stored as midday of that day in every Indonesian zone (05:00 UTC is 12:00 WIB,
        // 13:00 WITA, 14:00 WIT); today is left to the gateway's clock.
        const body = {
          method,
          ...(note.trim() !== "" && { note: note.trim() }),
          ...(date !== max && { recordedAt: `${date}T05:00:00.000Z` }),
        };
        void run(() => props.onSave(body));
      }}
    >
      <Field label={t("Cara persetujuan diberikan", "How consent was given")}>
        <select
          name="method"
          value={method}
          onChange={(e) => {
            setMethod(e.currentTarget.value as ConsentMethod);
          }}
        >
          {consentMethods.map((m) => (
            <option key={m} value={m}>
              {consentMethodText(m, t)}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t("Tanggal", "Date")} {...(dateError !== undefined && { error: dateError })}>
        <input
          type="date"
          name="recordedAt"
          max={max}
          required
          value={date}
          onInput={(e) => {
            setDate(e.currentTarget.value);
          }}
        />
      </Field>
      <Field
        label={t("Catatan (opsional)", "Note (optional)")}
        hint={t(
          "Misalnya: formulir disimpan di map kelas 1A",
          "For example: form kept in the 1A class folder",
        )}
      >
        <textarea
          name="note"
          rows={2}
          maxLength={500}
          value={note}
          onInput={(e) => {
            setNote(e.currentTarget.value);
          }}
        />
      </Field>
      <ErrorNotice error={error} />
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy || dateError !== undefined}>
          {t("Simpan persetujuan", "Save consent")}
        </button>
        <button type="button" class="btn plain" onClick={props.onCancel}>
          {t("Batal", "Cancel")}
        </button>
      </div>
    </form>
  );
}

function LinksPart(props: {
  guardian: GuardianRow;
  school: School;
  requireConsent: boolean;
  reload: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const { guardian: g, school } = props;
  const [issued, setIssued] = useState<IssuedLink | undefined>(undefined);
  const links = activeLinks(g);
  const noConsent = props.requireConsent && (g.consent === undefined || g.consent === null);
  const whyId = `no-consent-${g.id}`;
  return (
    <Part title={t("Tautan", "Links")}>
      {links.length === 0 ? (
        <p class="empty">{t("Tidak ada tautan aktif.", "No active link.")}</p>
      ) : (
        <ul class="plain-list">
          {links.map((l) => (
            <li key={l.id} class="link-row">
              <span>
                {t("Dibuat", "Issued")} {formatTime(l.createdAt, lang, school.timeZone)}
                {l.expiresAt !== null &&
                  ` · ${t("berlaku sampai", "valid until")} ${formatTime(l.expiresAt, lang, school.timeZone)}`}
              </span>
              <ConfirmAction
                label={t("Cabut tautan", "Revoke link")}
                question={t(
                  "Cabut tautan ini? HP yang masuk lewat tautan ini ikut dicabut.",
                  "Revoke this link? Phones that joined through it are revoked too.",
                )}
                onConfirm={async () => {
                  await api.delete(`/api/links/${seg(l.id)}`);
                  if (issued?.id === l.id) setIssued(undefined);
                  await props.reload();
                }}
              />
            </li>
          ))}
        </ul>
      )}
      {issued !== undefined ? (
        <LinkShare
          link={issued}
          guardianName={g.name}
          schoolName={school.name}
          timeZone={school.timeZone}
          onClose={() => {
            setIssued(undefined);
          }}
        />
      ) : (
        <>
          <ActionButton
            kind="primary"
            disabled={noConsent || g.revokedAt !== null}
            aria-describedby={noConsent ? whyId : undefined}
            onAction={async () => {
              const link = await api.post<IssuedLink>(`/api/guardians/${seg(g.id)}/links`, {});
              setIssued(link);
              await props.reload();
            }}
          >
            {t("Buat tautan", "Issue link")}
            <span class="visually-hidden"> {g.name}</span>
          </ActionButton>
          {noConsent && (
            <p id={whyId} class="hint">
              {t("Catat persetujuan wali dulu.", "Record the guardian's consent first.")}
            </p>
          )}
        </>
      )}
    </Part>
  );
}

function PhonesPart(props: { guardian: GuardianRow; school: School; reload: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const { guardian: g, school } = props;
  const phones = activeDevices(g);
  return (
    <Part title={t("HP terdaftar", "Registered phones")}>
      {phones.length === 0 ? (
        <p class="empty">{t("Belum ada HP terdaftar.", "No phone registered.")}</p>
      ) : (
        <ul class="plain-list">
          {phones.map((d) => (
            <li key={d.id} class="device-row">
              <span>
                {deviceName(d, t)} · {t("terakhir aktif", "last seen")}{" "}
                {formatTime(d.lastSeenAt, lang, school.timeZone)}
              </span>
              <ConfirmAction
                label={t("Cabut HP", "Revoke phone")}
                question={t(
                  "Cabut HP ini? HP ini tidak bisa didaftarkan lagi dengan tautan.",
                  "Revoke this phone? It cannot be registered again with a link.",
                )}
                onConfirm={async () => {
                  await api.delete(`/api/devices/${seg(d.id)}`);
                  await props.reload();
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </Part>
  );
}

/** A phone named as its owner would recognise it, from its browser's user agent. */
function deviceName(d: GuardianDevice, t: T): string {
  const ua = d.userAgent;
  const os = /iPhone|iPad/.test(ua)
    ? "iPhone/iPad"
    : /Android/.test(ua)
      ? "Android"
      : /Windows|Macintosh|Linux/.test(ua)
        ? t("Komputer", "Computer")
        : t("Perangkat", "Device");
  const browser = /CriOS|Chrome\//.test(ua)
    ? "Chrome"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Safari\//.test(ua)
        ? "Safari"
        : "";
  return browser === "" ? os : `${os}, ${browser}`;
}

interface GuardianBody {
  name: string;
  phone?: string;
  email?: string;
  children: { name: string; classroomId: string }[];
}

/** Add or change a guardian: name, contact, and each child with their classroom. */
function GuardianForm(props: {
  initial?: GuardianRow;
  classrooms: Classroom[];
  onSave: (body: GuardianBody) => Promise<void>;
  onCancel: () => void;
}) {
  const t = useT();
  const first = props.classrooms[0]?.id ?? "";
  const [name, setName] = useState(props.initial?.name ?? "");
  const [phone, setPhone] = useState(props.initial?.phone ?? "");
  const [email, setEmail] = useState(props.initial?.email ?? "");
  const [children, setChildren] = useState(
    props.initial?.children.map((c) => ({ ...c })) ?? [{ name: "", classroomId: first }],
  );
  const { busy, error, run } = useAction();
  const setChild = (i: number, change: Partial<{ name: string; classroomId: string }>) => {
    setChildren(children.map((c, j) => (j === i ? { ...c, ...change } : c)));
  };
  return (
    <form
      class="guardian-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body: GuardianBody = {
          name: name.trim(),
          ...(phone.trim() !== "" && { phone: phone.trim() }),
          ...(email.trim() !== "" && { email: email.trim() }),
          children: children.map((c) => ({ name: c.name.trim(), classroomId: c.classroomId })),
        };
        void run(() => props.onSave(body));
      }}
    >
      <Field label={t("Nama wali", "Guardian's name")}>
        <input
          name="name"
          required
          maxLength={100}
          value={name}
          onInput={(e) => {
            setName(e.currentTarget.value);
          }}
        />
      </Field>
      <Field label={t("Nomor HP (opsional)", "Phone (optional)")} hint="08…, 62… / +62…">
        <input
          name="phone"
          type="tel"
          autocomplete="off"
          value={phone}
          onInput={(e) => {
            setPhone(e.currentTarget.value);
          }}
        />
      </Field>
      <Field label={t("Surel (opsional)", "E-mail (optional)")}>
        <input
          name="email"
          type="email"
          autocomplete="off"
          value={email}
          onInput={(e) => {
            setEmail(e.currentTarget.value);
          }}
        />
      </Field>
      <fieldset class="children-fields">
        <legend>{t("Anak", "Children")}</legend>
        {children.map((c, i) => (
          <div class="child-fields" key={i}>
            <Field label={t("Nama anak {n}", "Child {n}'s name").replace("{n}", String(i + 1))}>
              <input
                name={`child-${String(i)}`}
                required
                maxLength={100}
                value={c.name}
                onInput={(e) => {
                  setChild(i, { name: e.currentTarget.value });
                }}
              />
            </Field>
            <Field label={t("Kelas anak {n}", "Child {n}'s classroom").replace("{n}", String(i + 1))}>
              <select
                name={`classroom-${String(i)}`}
                value={c.classroomId}
                onChange={(e) => {
                  setChild(i, { classroomId: e.currentTarget.value });
                }}
              >
                {props.classrooms.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </Field>
            {children.length > 1 && (
              <button
                type="button"
                class="btn plain"
                onClick={() => {
                  setChildren(children.filter((_, j) => j !== i));
                }}
              >
                {t("Hapus anak {n}", "Remove child {n}").replace("{n}", String(i + 1))}
              </button>
            )}
          </div>
        ))}
        <button
          type="button"
          class="btn plain"
          onClick={() => {
            setChildren([...children, { name: "", classroomId: first }]);
          }}
        >
          {t("Tambah anak", "Add a child")}
        </button>
      </fieldset>
      <ErrorNotice error={error} />
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy}>
          {t("Simpan", "Save")}
        </button>
        <button type="button" class="btn plain" onClick={props.onCancel}>
          {t("Batal", "Cancel")}
        </button>
      </div>
    </form>
  );
}

import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import { fieldError, formError } from "../components/form-errors.js";
import {
  copyDay,
  countdown,
  dayNames,
  endForInput,
  minutesOf,
  minutesToEndOfDay,
  minutesUntil,
  parseHolidayList,
  weekdays,
  windowProblems,
  windowsToSave,
  type HolidayLine,
  type Schedule,
  type ViewingWindow,
  type WindowProblem,
} from "../components/schedule.js";
import { wallClock } from "../components/time-zone.js";
import { useAction } from "../components/use-action.js";
import { fill, formatTime, useLang, useT, type Lang, type T } from "../i18n.js";
import { href, type Route } from "../router.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

/** A classroom as `GET /api/schools/:id/classrooms` answers it. */
interface Classroom {
  id: string;
  schoolId: string;
  name: string;
  schedule: Schedule;
  pause: { since: string; until: string | null; by: string | null } | null;
  demo: boolean;
  viewing: { open: boolean; reason: string | null; nextOpenAt: string | null; closesAt: string | null };
}

const nameWords = {
  invalid_input: {
    id: 'Nama wajib diisi, tanpa tanda < > ; " ` { } \\.',
    en: 'A name is required, without < > ; " ` { } \\.',
  },
  conflict: {
    id: "Sekolah ini sudah punya kelas dengan nama ini.",
    en: "This school has a classroom of this name.",
  },
};

/** Classrooms of the school: add, rename, remove; per classroom its weekly windows, holidays and pause. */
export function ClassroomsScreen(props: { route: Route }) {
  const t = useT();
  const school = useSession().school as School;
  const rooms = useLoad(
    () => api.get<{ classrooms: Classroom[] }>(`/api/schools/${seg(school.id)}/classrooms`),
    [school.id],
  );
  const selectedId = props.route.query.get("room") ?? undefined;
  const list = rooms.data?.classrooms ?? [];
  const selected = list.find((c) => c.id === selectedId);
  return (
    <Page title={t("Kelas", "Classrooms")}>
      <AddClassroom school={school} onAdded={rooms.reload} />
      <ErrorNotice error={rooms.error} />
      {rooms.data === undefined ? (
        rooms.loading && <Loading />
      ) : list.length === 0 ? (
        <Empty>{t("Belum ada kelas.", "No classrooms yet.")}</Empty>
      ) : (
        <ul class="rooms">
          {list.map((c) => (
            <RoomRow
              key={c.id}
              room={c}
              school={school}
              selected={c.id === selectedId}
              onChanged={rooms.reload}
            />
          ))}
        </ul>
      )}
      {selected !== undefined && (
        <RoomEditor key={selected.id} room={selected} school={school} onChanged={rooms.reload} />
      )}
      {selectedId !== undefined && selected === undefined && rooms.data !== undefined && (
        <p class="notice" role="alert">
          {t("Kelas ini tidak ada lagi.", "This classroom no longer exists.")}
        </p>
      )}
    </Page>
  );
}

function AddClassroom(props: { school: School; onAdded: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  return (
    <form
      class="card add-room"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await api.post(`/api/schools/${seg(props.school.id)}/classrooms`, { name });
          setName("");
          await props.onAdded();
        });
      }}
    >
      <Field label={t("Kelas baru", "New classroom")} error={fieldError(error, "name", lang, nameWords)}>
        <input
          name="room-name"
          value={name}
          placeholder={t("mis. Kelas 1A", "e.g. Kelas 1A")}
          onInput={(e) => {
            setName(e.currentTarget.value);
          }}
        />
      </Field>
      <ErrorNotice error={formError(error, ["name"])} />
      <button type="submit" class="btn primary" disabled={busy}>
        {t("Tambah kelas", "Add classroom")}
      </button>
    </form>
  );
}

/** Whether a classroom may be watched now, in words. */
function viewingText(c: Classroom, t: T, lang: Lang, tz: string): string {
  const v = c.viewing;
  if (v.open) return fill(t("Tayang sampai {t}", "Open until {t}"), { t: formatTime(v.closesAt, lang, tz) });
  const next =
    v.nextOpenAt === null
      ? ""
      : ` · ${fill(t("buka {t}", "opens {t}"), { t: formatTime(v.nextOpenAt, lang, tz) })}`;
  if (v.reason === "paused") return t("Dijeda", "Paused") + next;
  if (v.reason === "holiday") return t("Libur", "Holiday") + next;
  return c.schedule.windows.length === 0
    ? t("Belum ada jam tayang", "No viewing hours yet")
    : t("Di luar jam tayang", "Outside viewing hours") + next;
}

function RoomRow(props: {
  room: Classroom;
  school: School;
  selected: boolean;
  onChanged: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const c = props.room;
  const [mode, setMode] = useState<"show" | "rename" | "remove">("show");
  const [name, setName] = useState(c.name);
  const { busy, error, run } = useAction();
  return (
    <li class={`card room${props.selected ? " selected" : ""}`}>
      <div class="room-head">
        <strong class="room-name">{c.name}</strong>
        <span class="room-state">{viewingText(c, t, lang, props.school.timeZone)}</span>
      </div>
      {mode === "rename" && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api.patch(`/api/classrooms/${seg(c.id)}`, { name });
              await props.onChanged();
              setMode("show");
            });
          }}
        >
          <Field label={t("Nama baru", "New name")} error={fieldError(error, "name", lang, nameWords)}>
            <input
              name="rename"
              value={name}
              onInput={(e) => {
                setName(e.currentTarget.value);
              }}
            />
          </Field>
          <ErrorNotice error={formError(error, ["name"])} />
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy}>
              {t("Simpan nama", "Save name")}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setMode("show");
              }}
            >
              {t("Batal", "Cancel")}
            </button>
          </div>
        </form>
      )}
      {mode === "remove" && (
        <div class="confirm" role="group" aria-label={t("Konfirmasi hapus", "Confirm removal")}>
          <p>{fill(t("Hapus kelas {name}?", "Delete the classroom {name}?"), { name: c.name })}</p>
          {error instanceof ApiError && error.code === "conflict" ? (
            <p class="notice error" role="alert">
              {t(
                "Kelas ini masih punya kamera atau wali murid: pindahkan atau hapus dulu.",
                "This classroom still has cameras or guardians: move or remove them first.",
              )}
            </p>
          ) : (
            <ErrorNotice error={error} />
          )}
          <div class="actions">
            <button
              type="button"
              class="btn danger"
              disabled={busy}
              onClick={() => {
                void run(async () => {
                  await api.delete(`/api/classrooms/${seg(c.id)}`);
                  await props.onChanged();
                });
              }}
            >
              {t("Ya, hapus", "Yes, delete")}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setMode("show");
              }}
            >
              {t("Batal", "Cancel")}
            </button>
          </div>
        </div>
      )}
      {mode === "show" && (
        <div class="actions">
          <a
            class="btn primary"
            href={href("/classrooms", { room: c.id })}
            aria-current={props.selected ? "true" : undefined}
          >
            {t("Atur jadwal & jeda", "Schedule & pause")}
            <span class="visually-hidden"> {c.name}</span>
          </a>
          <button
            type="button"
            class="btn"
            aria-label={fill(t("Ganti nama {name}", "Rename {name}"), { name: c.name })}
            onClick={() => {
              setName(c.name);
              setMode("rename");
            }}
          >
            {t("Ganti nama", "Rename")}
          </button>
          <button
            type="button"
            class="btn"
            aria-label={fill(t("Hapus {name}", "Delete {name}"), { name: c.name })}
            onClick={() => {
              setMode("remove");
            }}
          >
            {t("Hapus", "Delete")}
          </button>
        </div>
      )}
    </li>
  );
}

function RoomEditor(props: { room: Classroom; school: School; onChanged: () => Promise<void> }) {
  const t = useT();
  const headRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headRef.current?.scrollIntoView({ block: "start" });
  }, []);
  return (
    <section class="room-editor" aria-labelledby="room-editor-title">
      <h3 id="room-editor-title" ref={headRef} tabIndex={-1}>
        {props.room.name}
      </h3>
      <p class="hint">
        {fill(
          t("Semua jam menurut zona waktu sekolah ({tz}).", "All times in the school's time zone ({tz})."),
          {
            tz: props.school.timeZone,
          },
        )}
      </p>
      <PausePanel {...props} />
      <WeekGrid {...props} />
      <Holidays {...props} />
    </section>
  );
}

/** Re-renders every `ms` while mounted: the countdown's clock. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      clearInterval(id);
    };
  }, [ms]);
  return now;
}

function PausePanel(props: { room: Classroom; school: School; onChanged: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const tz = props.school.timeZone;
  const now = useNow(1000);
  const { busy, error, setError, run } = useAction();
  const [until, setUntil] = useState("");
  const p = props.room.pause;
  const until_ = p?.until === null || p?.until === undefined ? null : Date.parse(p.until);
  const active = p !== null && (until_ === null || until_ > now);
  const ended = useRef(false);
  useEffect(() => {
    // The pause ran out: the gateway lifted it; show the classroom as it is now.
    if (p !== null && until_ !== null && until_ <= now && !ended.current) {
      ended.current = true;
      void props.onChanged();
    }
  }, [now]);
  const pause = (minutes: number | undefined) =>
    run(async () => {
      await api.post(`/api/classrooms/${seg(props.room.id)}/pause`, minutes === undefined ? {} : { minutes });
      ended.current = false;
      await props.onChanged();
    });
  const clock = wallClock(now, tz);
  return (
    <section class="card pause" aria-labelledby="pause-title">
      <h4 id="pause-title">{t("Jeda privasi", "Privacy pause")}</h4>
      {active ? (
        <>
          <p class="pause-state">
            <strong>{t("Dijeda", "Paused")}</strong>{" "}
            {until_ === null ? (
              t("sampai dilanjutkan.", "until resumed.")
            ) : (
              <>
                {fill(t("sampai {t}. Sisa", "until {t}. Remaining"), { t: formatTime(p.until, lang, tz) })}{" "}
                <span
                  class="countdown"
                  role="timer"
                  aria-label={t("Sisa waktu jeda", "Pause time remaining")}
                >
                  {countdown(until_ - now)}
                </span>
              </>
            )}
          </p>
          <p class="hint">
            {t(
              "Orang tua tidak dapat menonton dan tidak ada gambar kamera selama jeda.",
              "Parents cannot watch and no camera picture is shown during the pause.",
            )}
          </p>
          <button
            type="button"
            class="btn primary"
            disabled={busy}
            onClick={() => {
              void run(async () => {
                await api.delete(`/api/classrooms/${seg(props.room.id)}/pause`);
                await props.onChanged();
              });
            }}
          >
            {t("Lanjutkan", "Resume")}
          </button>
        </>
      ) : (
        <>
          <p class="hint">
            {t(
              "Hentikan tayangan kelas ini untuk sementara (mis. ganti baju, kegiatan pribadi).",
              "Stop this classroom's viewing for a while (e.g. changing clothes, private moments).",
            )}
          </p>
          <div class="actions pause-choices">
            <button type="button" class="btn" disabled={busy} onClick={() => void pause(15)}>
              {t("15 menit", "15 min")}
            </button>
            <button type="button" class="btn" disabled={busy} onClick={() => void pause(60)}>
              {t("1 jam", "1 hour")}
            </button>
            <button
              type="button"
              class="btn"
              disabled={busy}
              onClick={() => void pause(minutesToEndOfDay(clock.minute, clock.second))}
            >
              {t("Sampai akhir hari", "Until end of day")}
            </button>
            <button type="button" class="btn" disabled={busy} onClick={() => void pause(undefined)}>
              {t("Sampai dilanjutkan", "Until resumed")}
            </button>
          </div>
          <form
            class="pause-custom"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              const m = minutesUntil(until, clock.minute, clock.second);
              if (m === undefined) {
                setError(
                  new ApiError(400, "pause_time", "pick a later time", "until", {
                    id: "Pilih jam yang belum lewat hari ini.",
                    en: "Pick a time later today.",
                  }),
                );
                return;
              }
              void pause(m);
            }}
          >
            <Field label={t("Jeda sampai jam", "Pause until")} error={fieldError(error, "until", lang)}>
              <input
                type="time"
                name="pause-until"
                value={until}
                onInput={(e) => {
                  setUntil(e.currentTarget.value);
                }}
              />
            </Field>
            <button type="submit" class="btn" disabled={busy}>
              {t("Jeda", "Pause")}
            </button>
          </form>
        </>
      )}
      <ErrorNotice error={formError(error, ["until"])} />
    </section>
  );
}

interface DraftWindow extends ViewingWindow {
  key: number;
}

let nextKey = 1;
const keyed = (w: ViewingWindow): DraftWindow => ({ ...w, end: endForInput(w.end), key: nextKey++ });
const copyWindow = (w: DraftWindow, day: number): DraftWindow => ({ ...w, day, key: nextKey++ });

function problemText(p: WindowProblem, t: T): string {
  switch (p.problem) {
    case "missing":
      return t("Isi jamnya.", "Fill in the time.");
    case "format":
      return t("Jam harus JJ:MM.", "The time must be HH:MM.");
    case "order":
      return t("Selesai harus setelah mulai.", "The end must be after the start.");
  }
}

/** The week as seven rows, one per day, each with its windows as start and end boxes and a bar to see them. */
function WeekGrid(props: { room: Classroom; school: School; onChanged: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const [draft, setDraft] = useState<DraftWindow[]>(() => props.room.schedule.windows.map(keyed));
  const [problems, setProblems] = useState<WindowProblem[]>([]);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const change = (next: DraftWindow[]) => {
    setDraft(next);
    setSaved(false);
    setProblems([]);
  };
  const update = (key: number, part: Partial<ViewingWindow>) => {
    change(draft.map((w) => (w.key === key ? { ...w, ...part } : w)));
  };
  const savedText = JSON.stringify(windowsToSave(props.room.schedule.windows));
  const dirty = windowProblems(draft).length > 0 || JSON.stringify(windowsToSave(draft)) !== savedText;
  const problemOf = (key: number, field: "start" | "end") => {
    const i = draft.findIndex((w) => w.key === key);
    const p = problems.find((x) => x.index === i && x.field === field);
    return p === undefined ? undefined : problemText(p, t);
  };
  return (
    <section class="card week" aria-labelledby="week-title">
      <h4 id="week-title">{t("Jam tayang mingguan", "Weekly viewing hours")}</h4>
      <p class="hint">
        {t(
          "Orang tua bisa menonton hanya di jam ini. Selesai 00:00 berarti tengah malam.",
          "Parents can watch only in these hours. An end of 00:00 means midnight.",
        )}
      </p>
      <div class="actions">
        <button
          type="button"
          class="btn"
          onClick={() => {
            change(copyDay(draft, 1, [2, 3, 4, 5], copyWindow));
          }}
        >
          {t("Salin Senin ke Selasa–Jumat", "Copy Monday to Tuesday–Friday")}
        </button>
        <button
          type="button"
          class="btn"
          onClick={() => {
            change(copyDay(draft, 1, [2, 3, 4, 5, 6], copyWindow));
          }}
        >
          {t("Salin Senin ke Selasa–Sabtu", "Copy Monday to Tuesday–Saturday")}
        </button>
      </div>
      <div class="week-grid">
        {weekdays.map((day) => {
          const dayName = dayNames[day]?.[lang] ?? String(day);
          const mine = draft.filter((w) => w.day === day);
          return (
            <fieldset class="day" key={day} data-day={day}>
              <legend>{dayName}</legend>
              <DayBar windows={mine} />
              {mine.length === 0 && <p class="day-none">{t("Tidak tayang", "No viewing")}</p>}
              {mine.map((w, i) => (
                <div class="window" key={w.key}>
                  <Field label={t("Mulai", "Start")} error={problemOf(w.key, "start")}>
                    <input
                      type="time"
                      name={`start-${String(day)}-${String(i)}`}
                      aria-label={fill(t("{day}, jam {n} mulai", "{day}, window {n} start"), {
                        day: dayName,
                        n: i + 1,
                      })}
                      value={w.start}
                      onInput={(e) => {
                        update(w.key, { start: e.currentTarget.value });
                      }}
                    />
                  </Field>
                  <Field label={t("Selesai", "End")} error={problemOf(w.key, "end")}>
                    <input
                      type="time"
                      name={`end-${String(day)}-${String(i)}`}
                      aria-label={fill(t("{day}, jam {n} selesai", "{day}, window {n} end"), {
                        day: dayName,
                        n: i + 1,
                      })}
                      value={w.end}
                      onInput={(e) => {
                        update(w.key, { end: e.currentTarget.value });
                      }}
                    />
                  </Field>
                  <button
                    type="button"
                    class="btn plain remove-window"
                    aria-label={fill(t("Hapus {day} jam {n}", "Remove {day} window {n}"), {
                      day: dayName,
                      n: i + 1,
                    })}
                    onClick={() => {
                      change(draft.filter((x) => x.key !== w.key));
                    }}
                  >
                    {t("Hapus", "Remove")}
                  </button>
                </div>
              ))}
              <button
                type="button"
                class="btn add-window"
                aria-label={fill(t("Tambah jam tayang {day}", "Add viewing hours on {day}"), {
                  day: dayName,
                })}
                onClick={() => {
                  const last = mine.at(-1);
                  const start = last === undefined ? "07:00" : last.end === "00:00" ? "23:00" : last.end;
                  const endMin = Math.min(minutesOf(start) + 60, 24 * 60 - 1);
                  const end =
                    last === undefined
                      ? "12:00"
                      : `${String(Math.floor(endMin / 60)).padStart(2, "0")}:${String(endMin % 60).padStart(2, "0")}`;
                  change([...draft, keyed({ day, start, end })]);
                }}
              >
                + {t("Tambah jam", "Add hours")}
              </button>
            </fieldset>
          );
        })}
      </div>
      <ErrorNotice error={error} />
      {problems.length > 0 && (
        <p class="notice error" role="alert">
          {t("Periksa jam yang ditandai, lalu simpan lagi.", "Check the marked times, then save again.")}
        </p>
      )}
      {saved && !dirty && (
        <p class="notice ok" role="status">
          {t("Jam tayang tersimpan.", "Viewing hours saved.")}
        </p>
      )}
      <div class="actions">
        <button
          type="button"
          class="btn primary"
          disabled={busy}
          onClick={() => {
            const found = windowProblems(draft);
            setProblems(found);
            if (found.length > 0) return;
            void run(async () => {
              await api.put(`/api/classrooms/${seg(props.room.id)}/schedule`, {
                windows: windowsToSave(draft),
                holidays: props.room.schedule.holidays,
              });
              await props.onChanged();
              setSaved(true);
            });
          }}
        >
          {t("Simpan jam tayang", "Save viewing hours")}
        </button>
        {dirty && (
          <span class="unsaved">{t("Ada perubahan belum disimpan.", "There are unsaved changes.")}</span>
        )}
      </div>
    </section>
  );
}

/** A day's windows drawn on a 24-hour bar: what the numbers mean at a glance (the numbers are the truth). */
function DayBar(props: { windows: readonly ViewingWindow[] }) {
  return (
    <div class="day-bar" aria-hidden="true">
      {props.windows.map((w, i) => {
        const start = /^\d\d:\d\d$/.test(w.start) ? minutesOf(w.start) : 0;
        const endRaw = /^\d\d:\d\d$/.test(w.end) ? minutesOf(w.end) : 0;
        const end = endRaw === 0 ? 24 * 60 : endRaw;
        if (end <= start) return null;
        return (
          <span
            key={i}
            class="day-bar-on"
            style={{
              left: `${String((start / 1440) * 100)}%`,
              width: `${String(((end - start) / 1440) * 100)}%`,
            }}
          />
        );
      })}
      {[6, 12, 18].map((h) => (
        <span key={h} class="day-bar-tick" style={{ left: `${String((h / 24) * 100)}%` }} />
      ))}
    </div>
  );
}

function Holidays(props: { room: Classroom; school: School; onChanged: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const holidays = [...props.room.schedule.holidays].sort();
  const [one, setOne] = useState("");
  const [pasted, setPasted] = useState("");
  const [bad, setBad] = useState<HolidayLine[]>([]);
  const [added, setAdded] = useState<number | undefined>(undefined);
  const { busy, error, setError, run } = useAction();
  const save = (next: string[]) =>
    run(async () => {
      await api.put(`/api/classrooms/${seg(props.room.id)}/schedule`, {
        windows: props.room.schedule.windows,
        holidays: [...new Set(next)].sort(),
      });
      await props.onChanged();
    });
  const dateText = (d: string) =>
    new Date(`${d}T12:00:00Z`).toLocaleDateString(lang === "id" ? "id-ID" : "en-GB", {
      timeZone: "UTC",
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
    });
  return (
    <section class="card holidays" aria-labelledby="holidays-title">
      <h4 id="holidays-title">{t("Hari libur", "Holidays")}</h4>
      <p class="hint">{t("Tidak ada tayangan sepanjang hari libur.", "No viewing all day on a holiday.")}</p>
      {holidays.length === 0 ? (
        <Empty>{t("Belum ada hari libur.", "No holidays yet.")}</Empty>
      ) : (
        <ul class="holiday-list">
          {holidays.map((d) => (
            <li key={d} data-date={d}>
              <time dateTime={d}>{dateText(d)}</time>
              <button
                type="button"
                class="btn plain"
                disabled={busy}
                aria-label={fill(t("Hapus libur {d}", "Remove holiday {d}"), { d: dateText(d) })}
                onClick={() => {
                  setAdded(undefined);
                  void save(holidays.filter((h) => h !== d));
                }}
              >
                {t("Hapus", "Remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        class="holiday-one"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setBad([]);
          setAdded(undefined);
          if (!/^\d{4}-\d{2}-\d{2}$/.test(one)) {
            setError(
              new ApiError(400, "holiday_date", "pick a date", "holiday", {
                id: "Pilih tanggalnya dulu.",
                en: "Pick the date first.",
              }),
            );
            return;
          }
          void save([...holidays, one]).then((ok) => {
            if (ok) setOne("");
          });
        }}
      >
        <Field label={t("Tambah satu tanggal", "Add one date")} error={fieldError(error, "holiday", lang)}>
          <input
            type="date"
            name="holiday"
            value={one}
            onInput={(e) => {
              setOne(e.currentTarget.value);
            }}
          />
        </Field>
        <button type="submit" class="btn" disabled={busy}>
          {t("Tambah", "Add")}
        </button>
      </form>
      <form
        class="holiday-paste"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setAdded(undefined);
          setError(undefined);
          const r = parseHolidayList(pasted);
          setBad(r.bad);
          if (r.bad.length > 0 || r.dates.length === 0) return;
          void save([...holidays, ...r.dates]).then((ok) => {
            if (ok) {
              setPasted("");
              setAdded(r.dates.filter((d) => !holidays.includes(d)).length);
            }
          });
        }}
      >
        <Field
          label={t("Tempel daftar tanggal", "Paste a list of dates")}
          hint={t(
            "Satu tanggal per baris, sebagai 2026-12-25 atau 25/12/2026 (hari/bulan/tahun). Baris kosong dilewati.",
            "One date a line, as 2026-12-25 or 25/12/2026 (day/month/year). Blank lines are skipped.",
          )}
        >
          <textarea
            name="holiday-list"
            rows={5}
            value={pasted}
            onInput={(e) => {
              setPasted(e.currentTarget.value);
              setBad([]);
            }}
          />
        </Field>
        {bad.length > 0 && (
          <div class="notice error" role="alert">
            <p>
              {t(
                "Baris ini bukan tanggal; tidak ada yang disimpan. Perbaiki lalu coba lagi:",
                "These lines are not dates; nothing was saved. Fix them and try again:",
              )}
            </p>
            <ul class="bad-lines">
              {bad.map((b) => (
                <li key={b.line}>
                  {fill(t("Baris {n}:", "Line {n}:"), { n: b.line })} <q>{b.text}</q>
                </li>
              ))}
            </ul>
          </div>
        )}
        {added !== undefined && (
          <p class="notice ok" role="status">
            {fill(t("{n} tanggal libur ditambahkan.", "{n} holidays added."), { n: added })}
          </p>
        )}
        <button type="submit" class="btn" disabled={busy}>
          {t("Tambahkan daftar", "Add the list")}
        </button>
      </form>
      <ErrorNotice error={formError(error, ["holiday"])} />
    </section>
  );
}

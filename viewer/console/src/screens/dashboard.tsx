import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, seg } from "../api.js";
import {
  applyEvent,
  cameraStates,
  filterFleet,
  isCameraState,
  type CameraState,
  type Fleet,
  type FleetCamera,
  type FleetEvent,
  type FleetSchool,
} from "../components/fleet.js";
import { useEvents, type EventMessage } from "../components/events.js";
import { formatRatio, reasonText, stateWords } from "../components/health-words.js";
import { monthOf } from "../components/time-zone.js";
import { UptimeChart, type UptimeDay } from "../components/uptime-chart.js";
import { fill, useLang, useT, type T } from "../i18n.js";
import { replaceQuery, type Route } from "../router.js";
import { useSession } from "../session.js";
import { Badge, Empty, ErrorNotice, Loading, Page } from "../ui.js";

/** Tiles per page: every tile on screen may ask for a picture, so 10 000 cameras are never drawn at once. */
const pageSize = 48;

/** What went wrong with a camera, in words: its last error, or why it is offline or degraded. */
function troubleOf(lang: "id" | "en", c: FleetCamera): string | undefined {
  if (c.lastError !== undefined && c.state !== "online") return reasonText(c.lastError, lang);
  if (c.state === "offline" || c.state === "degraded") return reasonText(c.reason, lang);
  return undefined;
}

function durationText(t: T, sinceIso: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(sinceIso)) / 60_000));
  if (minutes < 60) return fill(t("{n} menit", "{n} min"), { n: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return fill(t("{n} jam", "{n} h"), { n: hours });
  return fill(t("{n} hari", "{n} days"), { n: Math.round(hours / 24) });
}

/** After the browser has painted what was just rendered (a frame, then a task). */
function afterPaint(f: () => void): void {
  requestAnimationFrame(() => {
    setTimeout(f, 0);
  });
}

/**
 * Diskominfo's dashboard (/dashboard): every school's cameras, counted by state, the worst first, as tiles
 * with the last picture; filters by state, kecamatan and school name in the address; kept live over
 * /api/events; a school's uptime for the month as a chart, and the monthly report.
 */
export function DashboardScreen(props: { route: Route }) {
  const t = useT();
  const lang = useLang();
  const session = useSession();
  const q = props.route.query;
  const filter = {
    state: isCameraState(q.get("state")) ? (q.get("state") as CameraState) : undefined,
    area: q.get("area") ?? "",
    school: q.get("q") ?? "",
  };
  const page = Math.max(0, Number(q.get("page") ?? "1") - 1 || 0);
  const [fleet, setFleet] = useState<Fleet | undefined>(undefined);
  const [cameras, setCameras] = useState<readonly FleetCamera[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const early = useRef<FleetEvent[] | undefined>([]);
  const inputAt = useRef<number | undefined>(undefined);
  const reread = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(
    () => () => {
      clearTimeout(reread.current);
    },
    [],
  );

  const load = async () => {
    try {
      const f = await api.get<Fleet>("/api/fleet");
      let rows: readonly FleetCamera[] = f.cameras;
      // What the socket heard while the fleet was being read; from here on events go to the rows.
      for (const e of early.current ?? []) rows = applyEvent(rows, e);
      early.current = undefined;
      setFleet(f);
      setCameras(rows);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const hellos = useRef(0);
  const live = useEvents(
    (m: EventMessage) => {
      if (m.type === "hello") {
        // A hello after the first is a reconnect: what changed meanwhile is read again.
        if (hellos.current++ > 0) {
          early.current = [];
          void load();
        }
        return;
      }
      if (m.type === "drift") return;
      const e = m as FleetEvent;
      if (early.current !== undefined) {
        early.current.push(e);
        return;
      }
      setCameras((rows) => {
        const next = applyEvent(rows, e);
        // A camera added since the fleet was read: read it again (once for a burst of them).
        if (next === rows && e.type === "state" && !rows.some((c) => c.id === e.cameraId)) {
          clearTimeout(reread.current);
          reread.current = setTimeout(() => {
            early.current = [];
            void load();
          }, 1000);
        }
        return next;
      });
    },
    { hello: "none" },
  );

  const schools = useMemo(
    () => new Map<string, FleetSchool>((fleet?.schools ?? []).map((s) => [s.id, s])),
    [fleet],
  );
  const areas = useMemo(
    () => [...new Set((fleet?.schools ?? []).map((s) => s.area).filter((a) => a !== ""))].sort(),
    [fleet],
  );
  const { counts, shown } = useMemo(
    () => filterFleet(cameras, schools, filter),
    [cameras, schools, filter.state, filter.area, filter.school],
  );
  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  const current = Math.min(page, pages - 1);
  const tiles = shown.slice(current * pageSize, (current + 1) * pageSize);
  const filterKey = `${filter.state ?? ""}|${filter.area}|${filter.school}|${String(current)}`;

  // Marks for the benchmark (bench/dashboard.ts): the first paint with tiles, and each filter change from
  // the input event to the filtered tiles painted.
  useEffect(() => {
    if (fleet === undefined) return;
    afterPaint(() => {
      if (performance.getEntriesByName("pantau-dashboard-ready").length === 0)
        performance.mark("pantau-dashboard-ready");
    });
  }, [fleet]);
  useEffect(() => {
    const start = inputAt.current;
    if (start === undefined) return;
    inputAt.current = undefined;
    afterPaint(() => {
      performance.measure("pantau-dashboard-filter", { start });
    });
  }, [filterKey]);

  const setQuery = (change: Record<string, string | undefined>, at: number) => {
    inputAt.current = at;
    const next: Record<string, string | undefined> = {
      state: filter.state,
      area: filter.area,
      q: filter.school,
      school: q.get("school") ?? undefined,
      month: q.get("month") ?? undefined,
      page: undefined,
      ...change,
    };
    replaceQuery(next);
  };

  const chosenSchool = q.get("school") ?? session.school?.id ?? "";
  // The month now in Jakarta (the regency's).
  const month = q.get("month") ?? monthOf(Date.now(), "Asia/Jakarta");
  const total = cameraStates.reduce((n, s) => n + counts[s], 0);

  return (
    <Page title={t("Dasbor Diskominfo", "Diskominfo dashboard")}>
      <ErrorNotice error={error} />
      <p class="live-state" role="status">
        {live === "live"
          ? t("Langsung: berubah sendiri saat kamera berubah.", "Live: updates as cameras change.")
          : live === "refused"
            ? t("Akun ini tidak menerima pembaruan langsung.", "This account gets no live updates.")
            : t("Menyambungkan pembaruan langsung…", "Connecting live updates…")}
      </p>
      {fleet === undefined ? (
        error === undefined && <Loading />
      ) : (
        <>
          <div class="fleet-counts" role="group" aria-label={t("Kamera per keadaan", "Cameras by state")}>
            <button
              type="button"
              class="count all"
              aria-pressed={filter.state === undefined}
              onClick={(e) => {
                setQuery({ state: undefined }, e.timeStamp);
              }}
            >
              <span class="count-n">{total}</span> {t("Semua", "All")}
            </button>
            {cameraStates.map((s) => (
              <button
                key={s}
                type="button"
                class={`count ${s}`}
                data-state={s}
                aria-pressed={filter.state === s}
                onClick={(e) => {
                  setQuery({ state: filter.state === s ? undefined : s }, e.timeStamp);
                }}
              >
                <span class="count-n">{counts[s]}</span> {stateWords[s][lang]}
              </button>
            ))}
          </div>
          <div class="fleet-filters">
            <label class="field">
              <span class="field-label">{t("Cari sekolah", "Search schools")}</span>
              <input
                type="search"
                name="q"
                value={filter.school}
                placeholder={t("mis. SD Negeri 12", "e.g. SD Negeri 12")}
                onInput={(e) => {
                  setQuery({ q: e.currentTarget.value }, e.timeStamp);
                }}
              />
            </label>
            <label class="field">
              <span class="field-label">{t("Kecamatan", "District (kecamatan)")}</span>
              <select
                name="area"
                value={filter.area}
                onChange={(e) => {
                  setQuery({ area: e.currentTarget.value || undefined }, e.timeStamp);
                }}
              >
                <option value="">{t("Semua kecamatan", "All districts")}</option>
                {areas.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span class="field-label">{t("Keadaan", "State")}</span>
              <select
                name="state"
                value={filter.state ?? ""}
                onChange={(e) => {
                  setQuery({ state: e.currentTarget.value || undefined }, e.timeStamp);
                }}
              >
                <option value="">{t("Semua keadaan", "All states")}</option>
                {cameraStates.map((s) => (
                  <option key={s} value={s}>
                    {stateWords[s][lang]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <p class="fleet-summary">
            {shown.length === 0
              ? t("Tidak ada kamera yang cocok.", "No camera matches.")
              : fill(
                  t("Kamera {from}–{to} dari {n}, terburuk dulu", "Cameras {from}–{to} of {n}, worst first"),
                  {
                    from: current * pageSize + 1,
                    to: current * pageSize + tiles.length,
                    n: shown.length,
                  },
                )}
          </p>
          <ul class="fleet-tiles" data-filter={filterKey} data-shown={shown.length}>
            {tiles.map((c) => (
              <Tile
                key={c.id}
                camera={c}
                school={c.schoolId === null ? undefined : schools.get(c.schoolId)}
                onSchool={(id, at) => {
                  setQuery({ school: id }, at);
                  document.getElementById("uptime")?.scrollIntoView();
                }}
              />
            ))}
          </ul>
          {pages > 1 && (
            <nav class="pager" aria-label={t("Halaman kamera", "Camera pages")}>
              <button
                type="button"
                class="btn"
                disabled={current === 0}
                onClick={(e) => {
                  setQuery({ page: String(current) }, e.timeStamp);
                }}
              >
                {t("Sebelumnya", "Previous")}
              </button>
              <span>{fill(t("Halaman {p} dari {n}", "Page {p} of {n}"), { p: current + 1, n: pages })}</span>
              <button
                type="button"
                class="btn"
                disabled={current >= pages - 1}
                onClick={(e) => {
                  setQuery({ page: String(current + 2) }, e.timeStamp);
                }}
              >
                {t("Berikutnya", "Next")}
              </button>
            </nav>
          )}
          <SchoolUptime
            schools={fleet.schools}
            schoolId={chosenSchool}
            month={month}
            onChange={(change) => {
              setQuery(change, performance.now());
            }}
          />
        </>
      )}
    </Page>
  );
}

function Tile(props: {
  camera: FleetCamera;
  school: FleetSchool | undefined;
  onSchool: (id: string, at: number) => void;
}) {
  const t = useT();
  const lang = useLang();
  const c = props.camera;
  const [noPicture, setNoPicture] = useState(false);
  const trouble = troubleOf(lang, c);
  // A paused classroom shows no picture (privacy), a disabled one has none, and asking an offline camera
  // would hold one of the browser's six connections to the gateway until the camera's timeout.
  const picture = !noPicture && c.state !== "paused" && c.state !== "disabled" && c.state !== "offline";
  const dash = "–";
  return (
    <li class={`fleet-tile ${c.state}`} data-camera-id={c.id} data-state={c.state} data-since={c.since}>
      <div class="fleet-picture">
        {picture ? (
          <img
            loading="lazy"
            decoding="async"
            fetchpriority="low"
            width={320}
            height={180}
            src={`/api/cameras/${seg(c.id)}/snapshot.jpg`}
            alt={fill(t("Gambar terakhir {name}", "Last picture of {name}"), { name: c.name })}
            onError={() => {
              setNoPicture(true);
            }}
          />
        ) : (
          <span>
            {c.state === "paused"
              ? t("Dijeda demi privasi", "Paused for privacy")
              : c.state === "offline"
                ? t("Luring: tidak ada gambar", "Offline: no picture")
                : t("Belum ada gambar", "No picture yet")}
          </span>
        )}
      </div>
      <div class="fleet-body">
        <h3>{c.name}</h3>
        {props.school !== undefined && (
          <p class="fleet-school">
            <button
              type="button"
              class="linkish"
              onClick={(e) => {
                if (c.schoolId !== null) props.onSchool(c.schoolId, e.timeStamp);
              }}
            >
              {props.school.name}
            </button>
            {props.school.area !== "" && <span class="area"> · {props.school.area}</span>}
          </p>
        )}
        <p class="fleet-state">
          <Badge tone={stateWords[c.state].tone}>{stateWords[c.state][lang]}</Badge>{" "}
          <span>{fill(t("selama {d}", "for {d}"), { d: durationText(t, c.since, Date.now()) })}</span>
          {c.flapping === true && <span class="flapping"> · {t("berubah-ubah", "flapping")}</span>}
        </p>
        <dl class="fleet-stats">
          <div>
            <dt>fps</dt>
            <dd>{c.fps ?? dash}</dd>
          </div>
          <div>
            <dt>kbit/s</dt>
            <dd>{c.bitrateKbps ?? dash}</dd>
          </div>
          <div>
            <dt>{t("Penonton", "Viewers")}</dt>
            <dd>{c.viewers ?? 0}</dd>
          </div>
        </dl>
        {trouble !== undefined && <p class="fleet-error">{trouble}</p>}
      </div>
    </li>
  );
}

interface UptimeAnswer {
  schools: { schoolId: string; name: string; month: UptimeDay; days: UptimeDay[] }[];
}

/** One school's uptime for a month: the chart, the figures, and the month's report for it and for all. */
function SchoolUptime(props: {
  schools: readonly FleetSchool[];
  schoolId: string;
  month: string;
  onChange: (change: Record<string, string | undefined>) => void;
}) {
  const t = useT();
  const lang = useLang();
  const [answer, setAnswer] = useState<{ key: string; data?: UptimeAnswer; error?: unknown }>({ key: "" });
  const key = `${props.schoolId} ${props.month}`;
  useEffect(() => {
    if (props.schoolId === "") return;
    let gone = false;
    api
      .get<UptimeAnswer>(`/api/uptime?month=${seg(props.month)}&schoolId=${seg(props.schoolId)}`)
      .then((data) => {
        if (!gone) setAnswer({ key, data });
      })
      .catch((error: unknown) => {
        if (!gone) setAnswer({ key, error });
      });
    return () => {
      gone = true;
    };
  }, [key]);
  const school = answer.key === key ? answer.data?.schools[0] : undefined;
  const forSchool = props.schoolId === "" ? "" : `&schoolId=${seg(props.schoolId)}`;
  const monthName = new Date(`${props.month}-15T00:00:00Z`).toLocaleDateString(
    lang === "id" ? "id-ID" : "en-GB",
    { month: "long", year: "numeric", timeZone: "UTC" },
  );
  return (
    <section class="card school-uptime" id="uptime" aria-labelledby="uptime-title">
      <h3 id="uptime-title">{t("Uptime per sekolah", "Uptime per school")}</h3>
      <div class="fleet-filters">
        <label class="field">
          <span class="field-label">{t("Sekolah", "School")}</span>
          <select
            name="school"
            value={props.schoolId}
            onChange={(e) => {
              props.onChange({ school: e.currentTarget.value || undefined });
            }}
          >
            <option value="">{t("Pilih sekolah", "Choose a school")}</option>
            {props.schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field-label">{t("Bulan", "Month")}</span>
          <input
            type="month"
            name="month"
            value={props.month}
            onChange={(e) => {
              if (/^\d{4}-\d{2}$/.test(e.currentTarget.value))
                props.onChange({ month: e.currentTarget.value });
            }}
          />
        </label>
      </div>
      <p class="report-links">
        <a href={`/api/reports/uptime?month=${seg(props.month)}${forSchool}`} target="_blank" rel="noopener">
          {props.schoolId === ""
            ? t("Laporan bulanan (semua sekolah, untuk dicetak)", "Monthly report (every school, printable)")
            : t("Laporan bulanan sekolah ini (untuk dicetak)", "This school's monthly report (printable)")}
        </a>{" "}
        ·{" "}
        <a href={`/api/uptime?month=${seg(props.month)}${forSchool}&format=csv`} download>
          {t("Unduh CSV", "Download CSV")}
        </a>
        {props.schoolId !== "" && (
          <>
            {" "}
            ·{" "}
            <a href={`/api/reports/uptime?month=${seg(props.month)}`} target="_blank" rel="noopener">
              {t("Laporan semua sekolah", "Every school's report")}
            </a>
          </>
        )}
      </p>
      {props.schoolId === "" ? (
        <Empty>{t("Pilih sekolah untuk melihat grafiknya.", "Choose a school to see its chart.")}</Empty>
      ) : answer.key !== key ? (
        <Loading />
      ) : answer.error !== undefined ? (
        <ErrorNotice error={answer.error} />
      ) : school === undefined ? (
        <Empty>{t("Tidak ada data bulan ini.", "No figures for this month.")}</Empty>
      ) : (
        <>
          <p class="uptime-month">
            {fill(
              t(
                "{school}, {month}: {a} sepanjang hari, {w} dalam jam tayang",
                "{school}, {month}: {a} around the clock, {w} within viewing hours",
              ),
              {
                school: school.name,
                month: monthName,
                a: formatRatio(school.month.aroundTheClock.ratio),
                w: formatRatio(school.month.inWindows.ratio),
              },
            )}
          </p>
          <UptimeChart
            days={school.days}
            month={props.month}
            label={fill(t("Uptime harian {school}, {month}", "Daily uptime of {school}, {month}"), {
              school: school.name,
              month: monthName,
            })}
          />
          <details>
            <summary>{t("Angka per hari", "Figures per day")}</summary>
            <div class="table-wrap">
              <table class="data">
                <thead>
                  <tr>
                    <th scope="col">{t("Tanggal", "Date")}</th>
                    <th scope="col">{t("Sepanjang hari", "Around the clock")}</th>
                    <th scope="col">{t("Jam tayang", "Viewing hours")}</th>
                  </tr>
                </thead>
                <tbody>
                  {school.days.map((d) => (
                    <tr key={d.period}>
                      <td>{d.period}</td>
                      <td>{formatRatio(d.aroundTheClock.ratio)}</td>
                      <td>{formatRatio(d.inWindows.ratio)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

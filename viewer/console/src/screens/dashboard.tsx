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
import { UptimeChart, type UptimeDay } from "../components/uptime-chart.js";
import { fill, useLang, useT, type T } from "../i18n.js";
import { replaceQuery, type Route } from "../router.js";
import { useSession } from "../session.js";
import { Badge, Empty, ErrorNotice, Loading, Page } from "../ui.js";

/** Tiles per page: every tile on screen may ask for a picture, so 10 000 cameras are never drawn at once. */
const pageSize = 48;

const stateWords: Record<CameraState, { id: string; en: string }> = {
  offline: { id: "Mati", en: "Offline" },
  degraded: { id: "Terganggu", en: "Degraded" },
  unknown: { id: "Belum diketahui", en: "Unknown" },
  paused: { id: "Dijeda", en: "Paused" },
  online: { id: "Menyala", en: "Online" },
  disabled: { id: "Nonaktif", en: "Disabled" },
};

const tone: Record<CameraState, "ok" | "warn" | "bad" | "muted"> = {
  offline: "bad",
  degraded: "warn",
  unknown: "muted",
  paused: "muted",
  online: "ok",
  disabled: "muted",
};

/** The gateway's error and problem codes (health probes, renditions) in words. */
const problemWords: Record<string, { id: string; en: string }> = {
  timeout: { id: "Kamera tidak menjawab tepat waktu", en: "The camera did not answer in time" },
  unreachable: {
    id: "Kamera tidak dapat dihubungi (periksa jaringan dan daya)",
    en: "The camera cannot be reached (check its network and power)",
  },
  auth_failed: {
    id: "Kamera menolak nama pengguna atau kata sandi",
    en: "The camera refused the username or password",
  },
  stream_error: { id: "Aliran video kamera bermasalah", en: "The camera's video stream has errors" },
  not_found: { id: "Tidak ada aliran video di alamat itu", en: "No video stream at that address" },
  no_video: { id: "Aliran tanpa video", en: "The stream has no video" },
  unsupported_codec: { id: "Kodek video tidak didukung", en: "The video codec is not supported" },
  address_not_allowed: {
    id: "Alamat kamera di luar jaringan yang diizinkan",
    en: "The camera's address is outside the allowed networks",
  },
  probe_failed: { id: "Pemeriksaan kamera gagal", en: "The camera check failed" },
  low_fps: { id: "Gambar per detik rendah", en: "Low frame rate" },
  reconnects: { id: "Sering tersambung ulang", en: "Reconnects often" },
  clock_skew: { id: "Jam kamera meleset", en: "The camera's clock is off" },
  stream_errors: { id: "Aliran video sering rusak", en: "Frequent stream errors" },
  stalled: { id: "Video terhenti", en: "The video stalled" },
  failed: { id: "Video gagal dimulai", en: "The video failed to start" },
  backoff: { id: "Menunggu untuk mencoba lagi", en: "Waiting to try again" },
  gateway_stopped: { id: "Gateway sempat berhenti", en: "The gateway was stopped" },
};

function problemText(t: T, code: string): string {
  return code
    .split(/[,\s]+/)
    .filter((c) => c !== "")
    .map((c) => {
      const w = problemWords[c];
      return w ? t(w.id, w.en) : c;
    })
    .join("; ");
}

/** What went wrong with a camera, in words: its last error, or why it is offline or degraded. */
function troubleOf(t: T, c: FleetCamera): string | undefined {
  if (c.lastError !== undefined && c.state !== "online") return problemText(t, c.lastError);
  if (c.state === "offline" || c.state === "degraded") return problemText(t, c.reason);
  return undefined;
}

function durationText(t: T, sinceIso: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(sinceIso)) / 60_000));
  if (minutes < 60) return fill(t("{n} menit", "{n} min"), { n: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return fill(t("{n} jam", "{n} h"), { n: hours });
  return fill(t("{n} hari", "{n} days"), { n: Math.round(hours / 24) });
}

/** The month now in Jakarta (the regency's), as YYYY-MM. */
function thisMonth(): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Jakarta",
    year: "numeric",
    month: "2-digit",
  }).formatToParts(new Date());
  const y = parts.find((p) => p.type === "year")?.value ?? "1970";
  const m = parts.find((p) => p.type === "month")?.value ?? "01";
  return `${y}-${m}`;
}

/** After the browser has painted what was just rendered (a frame, then a task). */
function afterPaint(f: () => void): void {
  requestAnimationFrame(() => {
    setTimeout(f, 0);
  });
}

type Live = "connecting" | "live" | "reconnecting" | "ended";

/**
 * The console's live health over /api/events, minimal (the dashboard's own: a shared events hook is not on
 * main yet). `?hello=none`: the page reads GET /api/fleet itself. Reconnects with growing delays; a sign-in
 * that ended (4401) or a refusal (4403) is the end.
 */
function useFleetEvents(onEvent: (e: FleetEvent) => void, onReconnect: () => void): Live {
  const [live, setLive] = useState<Live>("connecting");
  const handlers = useRef({ onEvent, onReconnect });
  handlers.current = { onEvent, onReconnect };
  useEffect(() => {
    let ws: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const delays = [1000, 2000, 5000, 10_000, 30_000];
    const open = () => {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      ws = new WebSocket(`${scheme}//${location.host}/api/events?hello=none`);
      ws.onopen = () => {
        if (attempt > 0) handlers.current.onReconnect();
        attempt = 0;
        setLive("live");
      };
      ws.onmessage = (m) => {
        if (typeof m.data !== "string") return;
        const e = JSON.parse(m.data) as FleetEvent | { type: string };
        if (e.type === "state" || e.type === "flapping" || e.type === "counters") {
          handlers.current.onEvent(e as FleetEvent);
        }
      };
      ws.onclose = (c) => {
        if (stopped) return;
        if (c.code === 4401 || c.code === 4403) {
          setLive("ended");
          return;
        }
        setLive("reconnecting");
        const delay = delays[Math.min(attempt, delays.length - 1)] ?? 30_000;
        attempt++;
        timer = setTimeout(open, delay * (0.8 + Math.random() * 0.4));
      };
    };
    open();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      ws?.close();
    };
  }, []);
  return live;
}

/**
 * Diskominfo's dashboard (/dashboard): every school's cameras, counted by state, the worst first, as tiles
 * with the last picture; filters by state, kecamatan and school name in the address; kept live over
 * /api/events; a school's uptime for the month as a chart, and the monthly report.
 */
export function DashboardScreen(props: { route: Route }) {
  const t = useT();
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
  const live = useFleetEvents(
    (e) => {
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
    () => {
      // Changes missed while the socket was down: read the fleet again.
      early.current = [];
      void load();
    },
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
  const month = q.get("month") ?? thisMonth();
  const total = cameraStates.reduce((n, s) => n + counts[s], 0);

  return (
    <Page title={t("Dasbor Diskominfo", "Diskominfo dashboard")}>
      <ErrorNotice error={error} />
      <p class="live-state" role="status">
        {live === "live"
          ? t("Langsung: berubah sendiri saat kamera berubah.", "Live: updates as cameras change.")
          : live === "ended"
            ? t("Tidak lagi langsung: masuk lagi.", "No longer live: sign in again.")
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
                <span class="count-n">{counts[s]}</span> {t(stateWords[s].id, stateWords[s].en)}
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
                    {t(stateWords[s].id, stateWords[s].en)}
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
  const c = props.camera;
  const [noPicture, setNoPicture] = useState(false);
  const trouble = troubleOf(t, c);
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
                ? t("Kamera mati: tidak ada gambar", "Offline: no picture")
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
          <Badge tone={tone[c.state]}>{t(stateWords[c.state].id, stateWords[c.state].en)}</Badge>{" "}
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

const pct = (r: number | null | undefined) =>
  r === null || r === undefined ? "–" : `${(Math.floor(r * 1000) / 10).toFixed(1)} %`;

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
                a: pct(school.month.aroundTheClock.ratio),
                w: pct(school.month.inWindows.ratio),
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
                      <td>{pct(d.aroundTheClock.ratio)}</td>
                      <td>{pct(d.inWindows.ratio)}</td>
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

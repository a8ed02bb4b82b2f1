import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import {
  camerasAfter,
  useEvents,
  type CameraCounters,
  type CameraHealth,
  type EventMessage,
} from "../components/events.js";
import { formatBitrate, formatRatio, reasonText, stateWords } from "../components/health-words.js";
import { monthOf } from "../components/time-zone.js";
import { fill, formatTime, useLang, useT } from "../i18n.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { Badge, Empty, ErrorNotice, Loading, Page, useLoad } from "../ui.js";

interface Rendition {
  cameraId: string;
  rendition: string;
  fps: number;
  bitrate: number;
  viewers: number;
  lastError?: string | null;
}

interface Tally {
  ratio: number | null;
}

interface Uptime {
  schools: {
    schoolId: string;
    cameras: { cameraId: string; month: { aroundTheClock: Tally; inWindows: Tally } }[];
  }[];
}

/**
 * The school's cameras, live: state, since when and why, the last picture, frame rate and bitrate while a
 * stream runs, and this month's uptime (around the clock and within viewing hours).
 */
export function SchoolHealthScreen() {
  const t = useT();
  const lang = useLang();
  const school = useSession().school as School;
  const month = monthOf(Date.now(), school.timeZone);
  const initial = useLoad(
    () => api.get<{ cameras: CameraHealth[]; renditions: Rendition[] }>("/api/health"),
    [],
  );
  const uptime = useLoad(
    () => api.get<Uptime>(`/api/uptime?month=${seg(month)}&schoolId=${seg(school.id)}`),
    [month, school.id],
  );
  const [live, setLive] = useState<CameraHealth[] | undefined>(undefined);
  const [counters, setCounters] = useState<Map<string, CameraCounters> | undefined>(undefined);
  const status = useEvents((m: EventMessage) => {
    if (m.type === "counters") {
      setCounters(new Map(m.cameras.map((c) => [c.cameraId, c])));
      return;
    }
    setLive((cur) => camerasAfter(cur ?? initial.data?.cameras ?? [], m));
    if (m.type === "state") void uptime.reload();
  });
  const all = live ?? initial.data?.cameras;
  const cameras = (all ?? []).filter((c) => c.schoolId === school.id);
  const mains = new Map(
    (initial.data?.renditions ?? []).filter((r) => r.rendition === "main").map((r) => [r.cameraId, r]),
  );
  const upOf = new Map(
    (uptime.data?.schools.find((s) => s.schoolId === school.id)?.cameras ?? []).map((c) => [
      c.cameraId,
      c.month,
    ]),
  );
  const counts = new Map<string, number>();
  for (const c of cameras) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return (
    <Page title={t("Kesehatan kamera", "Camera health")}>
      <p class="events-status" role="status" data-status={status}>
        {status === "live"
          ? t("Diperbarui langsung.", "Updated live.")
          : status === "connecting"
            ? t("Menyambung…", "Connecting…")
            : status === "reconnecting"
              ? t("Sambungan langsung terputus; menyambung ulang…", "Live updates cut off; reconnecting…")
              : t(
                  "Akun ini tidak boleh melihat kesehatan kamera.",
                  "This account may not see camera health.",
                )}
      </p>
      {cameras.length > 0 && (
        <ul class="health-counts" aria-label={t("Jumlah per keadaan", "Count by state")}>
          {(["offline", "degraded", "online", "paused", "disabled", "unknown"] as const)
            .filter((s) => counts.has(s))
            .map((s) => (
              <li key={s}>
                <Badge tone={stateWords[s].tone}>{stateWords[s][lang]}</Badge> {counts.get(s)}
              </li>
            ))}
        </ul>
      )}
      <ErrorNotice error={initial.error} />
      <ErrorNotice error={uptime.error} />
      {all === undefined ? (
        <Loading />
      ) : cameras.length === 0 ? (
        <Empty>{t("Sekolah ini belum punya kamera.", "This school has no cameras yet.")}</Empty>
      ) : (
        <ul class="health-cards">
          {cameras.map((c) => {
            const w = stateWords[c.state];
            const counter = counters?.get(c.cameraId);
            const main = mains.get(c.cameraId);
            const fps = counter?.fps ?? main?.fps ?? c.fps;
            const bitrate = counter?.bitrate ?? main?.bitrate;
            const viewers = counter?.viewers ?? main?.viewers;
            const up = upOf.get(c.cameraId);
            // The probe's error when it says more than the reason shown already.
            const error =
              c.lastProbe?.ok === false && c.lastProbe.error !== null && c.lastProbe.error !== c.reason
                ? c.lastProbe.error
                : null;
            return (
              <li key={c.cameraId} class={`card health-card state-${c.state}`} data-camera={c.cameraId}>
                <div class="health-head">
                  <h3 class="health-name">{c.name}</h3>
                  <Badge tone={w.tone}>
                    <span class="health-state" data-state={c.state}>
                      {w[lang]}
                    </span>
                  </Badge>
                  {c.flapping && <Badge tone="warn">{t("Naik-turun", "Flapping")}</Badge>}
                </div>
                <Snapshot camera={c} />
                <dl class="health-facts">
                  <dt>{t("Sejak", "Since")}</dt>
                  <dd>{formatTime(c.since, lang, school.timeZone)}</dd>
                  {c.state !== "online" && c.reason !== "" && c.reason !== c.state && (
                    <>
                      <dt>{t("Sebab", "Why")}</dt>
                      <dd class="health-reason">{reasonText(c.reason, lang)}</dd>
                    </>
                  )}
                  {fps !== null && (
                    <>
                      <dt>{t("Gambar/detik", "Frames/s")}</dt>
                      <dd>{fps.toFixed(1)}</dd>
                    </>
                  )}
                  {bitrate !== undefined && (
                    <>
                      <dt>Bitrate</dt>
                      <dd>{formatBitrate(bitrate)}</dd>
                    </>
                  )}
                  {viewers !== undefined && (
                    <>
                      <dt>{t("Penonton", "Viewers")}</dt>
                      <dd>{viewers}</dd>
                    </>
                  )}
                  <dt>{t("Terakhir baik", "Last good")}</dt>
                  <dd>{formatTime(c.lastOkAt, lang, school.timeZone)}</dd>
                  <dt>{fill(t("Uptime {m}", "Uptime {m}"), { m: month })}</dt>
                  <dd class="health-uptime">
                    <span>
                      {fill(t("{a} sepanjang hari", "{a} around the clock"), {
                        a: formatRatio(up?.aroundTheClock.ratio),
                      })}
                    </span>
                    <span>
                      {fill(t("{w} di jam tayang", "{w} in viewing hours"), {
                        w: formatRatio(up?.inWindows.ratio),
                      })}
                    </span>
                  </dd>
                  {error !== null && (
                    <>
                      <dt>{t("Galat terakhir", "Last error")}</dt>
                      <dd class="health-error">{reasonText(error, lang)}</dd>
                    </>
                  )}
                  {main?.lastError !== undefined && main.lastError !== null && main.lastError !== "" && (
                    <>
                      <dt>{t("Galat aliran", "Stream error")}</dt>
                      <dd lang="en">{main.lastError}</dd>
                    </>
                  )}
                </dl>
              </li>
            );
          })}
        </ul>
      )}
    </Page>
  );
}

/** The camera's last picture, loaded only when scrolled to; a camera with none says so instead. */
function Snapshot(props: { camera: CameraHealth }) {
  const t = useT();
  const [failed, setFailed] = useState(false);
  const c = props.camera;
  if (c.state === "paused") {
    return <p class="snapshot none">{t("Tidak ada gambar selama jeda.", "No picture during a pause.")}</p>;
  }
  if (failed) return <p class="snapshot none">{t("Belum ada gambar.", "No picture yet.")}</p>;
  return (
    <img
      class="snapshot"
      src={`/api/cameras/${seg(c.cameraId)}/snapshot.jpg`}
      loading="lazy"
      width={320}
      height={180}
      alt={fill(t("Gambar terakhir dari kamera {name}", "Last picture from camera {name}"), { name: c.name })}
      onError={() => {
        setFailed(true);
      }}
    />
  );
}

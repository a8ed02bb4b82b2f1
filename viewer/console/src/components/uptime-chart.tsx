import { useEffect, useRef, useState } from "preact/hooks";
import { useLang, useT } from "../i18n.js";

/** One day of a school's uptime as GET /api/uptime gives it (ratios 0–1, null when nothing counted). */
export interface UptimeDay {
  period: string;
  aroundTheClock: { ratio: number | null };
  inWindows: { ratio: number | null };
}

const percent = (r: number | null) => (r === null ? null : Math.round(r * 10_000) / 100);

/**
 * A month of daily uptime as a uPlot line chart (two lines: around the clock, within viewing windows). uPlot
 * is imported when the chart is first drawn, so it is a chunk of its own that only this screen loads. The
 * canvas says nothing to a screen reader: the same figures are in the table below it.
 */
export function UptimeChart(props: { days: readonly UptimeDay[]; month: string; label: string }) {
  const t = useT();
  const lang = useLang();
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let gone = false;
    const onResize = () => plot?.setSize({ width: Math.max(280, el.clientWidth), height: 220 });
    import("uplot")
      .then(({ default: UPlot }) => {
        if (gone) return;
        // Each day at its local noon: the point sits in the middle of its day whatever the viewer's zone.
        const xs = props.days.map((d) => Date.parse(`${d.period}T12:00:00+07:00`) / 1000);
        const around = props.days.map((d) => percent(d.aroundTheClock.ratio));
        const windows = props.days.map((d) => percent(d.inWindows.ratio));
        // The whole month along the axis, so the third of the month reads as the third.
        const [y, m] = props.month.split("-").map(Number) as [number, number];
        const first = Date.UTC(y, m - 1, 1) / 1000 - 7 * 3600;
        const last = Date.UTC(y, m, 1) / 1000 - 7 * 3600;
        const dayText = new Intl.DateTimeFormat(lang === "id" ? "id-ID" : "en-GB", {
          day: "numeric",
          month: "short",
          timeZone: "Asia/Jakarta",
        });
        plot = new UPlot(
          {
            width: Math.max(280, el.clientWidth),
            height: 220,
            legend: { show: false },
            scales: { x: { time: true, range: [first, last] }, y: { range: [0, 100] } },
            axes: [
              { space: 48, values: (_u, ticks) => ticks.map((v) => dayText.format(new Date(v * 1000))) },
              { values: (_u, ticks) => ticks.map((v) => `${String(v)} %`), size: 56 },
            ],
            series: [
              {},
              {
                label: t("Sepanjang hari", "Around the clock"),
                stroke: "#1d3557",
                width: 2,
                spanGaps: false,
              },
              { label: t("Jam tayang", "Viewing hours"), stroke: "#1e7a34", width: 2, dash: [6, 4] },
            ],
          },
          [xs, around, windows],
          el,
        );
        addEventListener("resize", onResize);
      })
      .catch((e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      gone = true;
      removeEventListener("resize", onResize);
      plot?.destroy();
    };
  }, [props.days, props.month, t, lang]);
  return (
    <figure class="uptime-chart">
      <div ref={box} class="uptime-canvas" aria-hidden="true" />
      <figcaption>
        {props.label}{" "}
        <span class="legend-line around">{t("garis penuh: sepanjang hari", "solid: around the clock")}</span>
        {", "}
        <span class="legend-line windows">
          {t("garis putus: jam tayang kelas", "dashed: within the classrooms' viewing hours")}
        </span>
      </figcaption>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {t("Grafik tidak dapat digambar", "The chart could not be drawn")}: {error}
        </p>
      )}
    </figure>
  );
}

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { stderrTail, stopChild, stopOnce, track } from "./cleanup.js";
import { sleep } from "./env.js";
import { startStaticServer } from "./static-server.js";

const baselineDir = join(dirname(fileURLToPath(import.meta.url)), "../baseline");

/** The integrator's ffmpeg command (design.md "Performance budgets", baseline), with -nostdin for a child. */
export function ffmpegHlsArgs(cameraUrl: string, dir: string): string[] {
  return [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    "-rtsp_transport",
    "tcp",
    "-i",
    cameraUrl,
    "-c",
    "copy",
    "-f",
    "hls",
    "-hls_time",
    "1",
    "-hls_list_size",
    "6",
    "-hls_flags",
    "delete_segments+independent_segments",
    "-hls_segment_type",
    "fmp4",
    join(dir, "index.m3u8"),
  ];
}

export interface FfmpegHls {
  dir: string;
  child: ChildProcess;
  /**
   * Waits until the playlist lists at least `n` segments; with `steady`, also until ffmpeg's first segment
   * has slid out of it. That one runs long (about 2 s), and while it is listed the playlist says
   * TARGETDURATION:2, which doubles hls.js's default distance from the live edge (3 target durations) for
   * a player that starts then, and for good: a long-running folder, which the baseline stands for, has none.
   */
  waitSegments(n: number, timeoutMs?: number, steady?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** One `ffmpeg -c copy -f hls` process writing into a fresh temp folder. */
export function startFfmpegHls(cameraUrl: string): FfmpegHls {
  const dir = mkdtempSync(join(tmpdir(), "pantau-bench-hls-"));
  const child = track(
    spawn("ffmpeg", ffmpegHlsArgs(cameraUrl, dir), { stdio: ["ignore", "ignore", "pipe"] }),
  );
  const stderr = stderrTail(child, 50);
  const stop = stopOnce("ffmpeg hls", async () => {
    await stopChild(child, "SIGTERM", 5000);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    child,
    async waitSegments(n, timeoutMs = 30_000, steady = false) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null)
          throw new Error(`ffmpeg hls exited ${String(child.exitCode)}: ${stderr.join("\n")}`);
        let text = "";
        try {
          text = readFileSync(join(dir, "index.m3u8"), "utf8");
        } catch {
          // not written yet
        }
        const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
        if ((text.match(/#EXTINF/g) ?? []).length >= n && (!steady || sequence > 0)) return;
        if (Date.now() > end)
          throw new Error(`ffmpeg hls: fewer than ${String(n)} segments after ${String(timeoutMs)} ms`);
        await sleep(200);
      }
    },
    stop,
  };
}

/** The baseline page (baseline/page.ts: hls.js + the viewer's measuring code), bundled in memory. */
export async function buildBaselinePage(): Promise<Record<string, { type: string; body: string }>> {
  const result = await build({
    entryPoints: [join(baselineDir, "page.ts")],
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    write: false,
    legalComments: "none",
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error("baseline bundle is empty");
  return {
    "/": { type: "text/html; charset=utf-8", body: readFileSync(join(baselineDir, "page.html"), "utf8") },
    "/page.js": { type: "text/javascript; charset=utf-8", body: js },
  };
}

export interface Baseline {
  ffmpeg: FfmpegHls;
  /** The baseline page; `edge` pushes hls.js to the live edge. */
  pageUrl(edge: boolean): string;
  stop(): Promise<void>;
}

/** ffmpeg's HLS muxer into a temp folder, served with the baseline page by a static server on loopback. */
export async function startBaseline(cameraUrl: string): Promise<Baseline> {
  const assets = await buildBaselinePage();
  const ffmpeg = startFfmpegHls(cameraUrl);
  const server = await startStaticServer({ dir: ffmpeg.dir, assets });
  return {
    ffmpeg,
    pageUrl: (edge) => `${server.url}/?measure=1${edge ? "&edge=1" : ""}`,
    stop: async () => {
      await server.close();
      await ffmpeg.stop();
    },
  };
}

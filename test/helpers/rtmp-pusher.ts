import { spawn, type ChildProcess } from "node:child_process";

// An NVR's stand-in for the RTMP push tests (test/integration/rtmp-push.test.ts, test/e2e/console-rtmp.test.ts):
// ffmpeg pushing a live H.264 test pattern to the gateway's RTMP listener.

export interface Pusher {
  /** ffmpeg's exit code (non-zero: the listener refused or cut the push). */
  exit: Promise<number | null>;
  /** A clean quit (SIGTERM). */
  stop(): void;
}

const running = new Set<ChildProcess>();

/** ffmpeg pushing a 640x360 25 fps test pattern to `url`, at most `seconds` long. */
export function pushTestPattern(url: string, seconds = 120): Pusher {
  const child = spawn(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-f", "lavfi"],
      ...["-i", "testsrc2=size=640x360:rate=25", "-t", String(seconds)],
      ...["-c:v", "libx264", "-tune", "zerolatency", "-g", "25", "-f", "flv", url],
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  running.add(child);
  const exit = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  return {
    exit,
    stop: () => {
      child.kill("SIGTERM");
    },
  };
}

/** Kills every pusher still running (a test's afterAll). */
export function killPushers(): void {
  for (const child of running) child.kill("SIGKILL");
}

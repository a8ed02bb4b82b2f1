import { spawn } from "node:child_process";
import { startTestCamera, type TestCamera } from "../../test/helpers/test-camera.js";
import { onCleanup, stopChild, track } from "./cleanup.js";

/** The shared GStreamer test camera (live H.264, 1 s GOP, wall clock in every frame), stopped at the end. */
export async function startCamera(): Promise<TestCamera> {
  const camera = await startTestCamera();
  onCleanup("test camera", () => camera.stop());
  return camera;
}

/**
 * Keeps one RTSP client on a mount for the whole benchmark, so the camera's shared pipeline never stops and
 * restarts between runs: a real camera's encoder runs all the time and a new client joins mid-GOP.
 */
export function holdCamera(url: string): { stop(): Promise<void> } {
  const child = track(
    spawn(
      "ffmpeg",
      [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-rtsp_transport",
        "tcp",
        "-i",
        url,
        "-c",
        "copy",
        "-f",
        "null",
        "-",
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = () => stopChild(child, "SIGTERM", 3000);
  const unregister = onCleanup("camera keeper", stop);
  return {
    stop: () => {
      unregister();
      return stop();
    },
  };
}

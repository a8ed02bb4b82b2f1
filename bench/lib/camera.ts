import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startReadyProcess, stopReadyProcess } from "../../test/helpers/ready-process.js";
import { startTestCamera, type TestCamera } from "../../test/helpers/test-camera.js";
import { onCleanup, stopChild, stopOnce, track } from "./cleanup.js";

const testCameraScript = fileURLToPath(new URL("../../scripts/test-camera.py", import.meta.url));

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
export function holdCamera(url: string): { pid: number; stop(): Promise<void> } {
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
    pid: child.pid!,
    stop: () => {
      unregister();
      return stop();
    },
  };
}

export interface MountCameras {
  /** rtsp://…/camK, one per camera asked for, spread round-robin over the servers. */
  urls: string[];
  /** The GStreamer servers' PIDs (the cameras' CPU, measured apart from the gateway's). */
  serverPids: number[];
  /** The ffmpeg clients that keep each server's one pipeline running. */
  keeperPids: number[];
  stop(): Promise<void>;
}

export interface MountCameraOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Main stream kbps. */
  bitrate?: number;
}

/**
 * `cameras` RTSP cameras as mounts (/cam0, /cam1, …) on `servers` GStreamer test cameras
 * (scripts/test-camera.py --mounts): every mount of a server is the same shared pipeline, so a server costs
 * one encoder however many mounts it has. One ffmpeg client per server keeps that pipeline running, as a real
 * camera's encoder runs all the time: otherwise every DESCRIBE would build and tear down a pipeline and the
 * cameras, not the gateway, would set the pace of a probe.
 */
export async function startMountCameras(
  cameras: number,
  servers: number,
  opts: MountCameraOptions = {},
): Promise<MountCameras> {
  const perServer = Math.ceil(cameras / servers);
  const flags = [
    "--mounts",
    String(perServer),
    "--width",
    String(opts.width ?? 160),
    "--height",
    String(opts.height ?? 90),
    "--fps",
    String(opts.fps ?? 5),
    "--bitrate",
    String(opts.bitrate ?? 100),
  ];
  const started = await Promise.all(
    Array.from({ length: servers }, () =>
      startReadyProcess(
        "mount camera",
        ["/usr/bin/python3", testCameraScript, "--host", "127.0.0.1", "--port", "0", ...flags],
        {
          isReady: (v): v is { ready: true; port: number; mounts: number } =>
            typeof v === "object" &&
            v !== null &&
            (v as { ready?: unknown }).ready === true &&
            typeof (v as { port?: unknown }).port === "number" &&
            (v as { mounts?: unknown }).mounts === perServer,
        },
      ),
    ),
  );
  const stopServers = stopOnce("mount cameras", async () => {
    await Promise.all(started.map((s) => stopReadyProcess(s.child)));
  });
  const base = started.map((s) => `rtsp://127.0.0.1:${String(s.ready.port)}`);
  const keepers = base.map((b) => holdCamera(`${b}/cam0`));
  return {
    urls: Array.from(
      { length: cameras },
      (_v, i) => `${base[i % servers]!}/cam${String(Math.floor(i / servers))}`,
    ),
    serverPids: started.map((s) => s.child.pid!),
    keeperPids: keepers.map((k) => k.pid),
    async stop() {
      await Promise.all(keepers.map((k) => k.stop()));
      await stopServers();
    },
  };
}

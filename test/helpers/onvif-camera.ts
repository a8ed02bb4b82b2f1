import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Encoding, Misbehaviour, Style } from "../../scripts/onvif-camera/options.js";
import type { Received } from "../../scripts/onvif-camera/recorder.js";

import { killReadyProcess, startReadyProcess, stopReadyProcess } from "./ready-process.js";

// The ONVIF camera simulator (scripts/onvif-camera.ts) as a child process the test owns.

const SCRIPT = fileURLToPath(new URL("../../scripts/onvif-camera.ts", import.meta.url));

export type { Encoding, Misbehaviour, Style, Received };

/** The GStreamer camera's two streams as ONVIF tests start it (add the credentials), and the simulator's
 * two profiles that name them. */
export const testCameraStreams = { width: 640, height: 360, subWidth: 320, subHeight: 180 };
export const profilesOf = (camera: { url(stream: "main" | "sub"): string }) => ({
  mainUri: camera.url("main"),
  subUri: camera.url("sub"),
  mainSize: "640x360",
  subSize: "320x180",
});

/** The simulator's command-line flags in camelCase; unset ones take the simulator's defaults. */
export interface OnvifCameraOptions {
  /** IPv4 address for HTTP and unicast WS-Discovery (default 127.0.0.1). */
  host?: string;
  /** 0 or unset picks a free port. */
  httpPort?: number;
  /** Default 3702; bind each simulator to its own 127.x.y.z so parallel files can share the port. */
  discoveryPort?: number;
  /** Also answer multicast probes to 239.255.255.250 (needs an interface with multicast, e.g. in a netns). */
  multicast?: boolean;
  /** Bare UUID or `urn:uuid:…`; default random. */
  uuid?: string;
  username?: string;
  password?: string;
  /** Camera clock offset from real time, in seconds (may be negative). */
  skewSeconds?: number;
  mainUri?: string;
  subUri?: string;
  snapshotUri?: string;
  /** How the snapshot JPEG is guarded: HTTP Digest (default), Basic, or none. */
  snapshotAuth?: "digest" | "basic" | "none";
  /** `WIDTHxHEIGHT`, e.g. `1920x1080`. */
  mainSize?: string;
  subSize?: string;
  mainEncoding?: Encoding;
  subEncoding?: Encoding;
  fps?: number;
  name?: string;
  hardware?: string;
  location?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  /** GetDeviceInformation's HardwareId; the style's default otherwise ("88", "1.00"). */
  hardwareId?: string;
  /** Answer GetDeviceInformation without credentials (most real firmware wants them). */
  openDeviceInfo?: boolean;
  /** Listen for RTSP on `host` at this port as a forger would: record, answer 401 Basic. */
  rtspTrapPort?: number;
  /** Keep what the simulator received, for received(). */
  record?: boolean;
  style?: Style;
  /** Advertise this host in XAddrs instead of `host`. */
  xaddrHost?: string;
  /** WS-Discovery APP_MAX_DELAY in ms (default 500); 0 answers at once. */
  maxDelayMs?: number;
  /** Delay before answering a unicast Probe, in ms (a busy camera); default 0. */
  unicastDelayMs?: number;
  misbehave?: Misbehaviour;
  /** Run inside this network namespace (`ip netns exec <ns> node …`); needs root. */
  netns?: string;
}

export interface OnvifCamera {
  /** `urn:uuid:…` (a Dahua-style camera writes it as `uuid:…` in ProbeMatches). */
  readonly uuid: string;
  /** Device service on the real host: `http://<host>:<httpPort>/onvif/device_service`. */
  readonly xaddr: string;
  readonly host: string;
  readonly httpPort: number;
  readonly discoveryPort: number;
  /** Asks the simulator to quit and waits for it to exit (SIGTERM, then SIGKILL, if it hangs). */
  stop(): Promise<void>;
  /** SIGKILL, as a camera losing power; waits for the exit. */
  kill(): Promise<void>;
  /**
   * Every SOAP and RTSP request received so far (with `record: true`), each written before it was answered:
   * once a client has its answer, the request is here.
   */
  received(): Received[];
}

const FLAGS: Record<
  Exclude<keyof OnvifCameraOptions, "netns" | "multicast" | "openDeviceInfo" | "record">,
  string
> = {
  host: "--host",
  httpPort: "--http-port",
  discoveryPort: "--discovery-port",
  uuid: "--uuid",
  username: "--username",
  password: "--password",
  skewSeconds: "--skew-seconds",
  mainUri: "--main-uri",
  subUri: "--sub-uri",
  snapshotUri: "--snapshot-uri",
  snapshotAuth: "--snapshot-auth",
  mainSize: "--main-size",
  subSize: "--sub-size",
  mainEncoding: "--main-encoding",
  subEncoding: "--sub-encoding",
  fps: "--fps",
  name: "--name",
  hardware: "--hardware",
  location: "--location",
  manufacturer: "--manufacturer",
  model: "--model",
  firmware: "--firmware",
  serial: "--serial",
  hardwareId: "--hardware-id",
  rtspTrapPort: "--rtsp-trap-port",
  style: "--style",
  xaddrHost: "--xaddr-host",
  maxDelayMs: "--max-delay-ms",
  unicastDelayMs: "--unicast-delay-ms",
  misbehave: "--misbehave",
};

/** The simulator's argv for these options (`--flag=value`, so negative numbers stay values). */
export function onvifCameraArgs(opts: OnvifCameraOptions): string[] {
  const args: string[] = [];
  for (const [key, flag] of Object.entries(FLAGS) as [keyof typeof FLAGS, string][]) {
    const value = opts[key];
    if (value !== undefined) args.push(`${flag}=${String(value)}`);
  }
  if (opts.multicast === true) args.push("--multicast");
  if (opts.openDeviceInfo === true) args.push("--open-device-info");
  return args;
}

interface ReadyLine {
  ready: true;
  uuid: string;
  xaddr: string;
  httpPort: number;
  discoveryPort: number;
}

function isReadyLine(value: unknown): value is ReadyLine {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.ready === true &&
    typeof v.uuid === "string" &&
    typeof v.xaddr === "string" &&
    typeof v.httpPort === "number" &&
    typeof v.discoveryPort === "number"
  );
}

/**
 * A loopback address of a test's own, so parallel test files never meet on UDP 3702. Never the first or last
 * address of its /29, which a range scan skips as network and broadcast address.
 */
export function randomLoopbackHost(): string {
  const rand = (n: number) => Math.floor(Math.random() * n);
  return `127.${String(1 + rand(250))}.${String(rand(256))}.${String(8 * rand(30) + 2 + rand(5))}`;
}

/** Starts the simulator and resolves once HTTP and WS-Discovery are bound. */
export async function startOnvifCamera(opts: OnvifCameraOptions = {}): Promise<OnvifCamera> {
  const dir = opts.record === true ? mkdtempSync(join(tmpdir(), "pantau-onvif-")) : undefined;
  const record = dir === undefined ? undefined : join(dir, "received.jsonl");
  const { child, ready } = await startReadyProcess(
    "ONVIF camera simulator",
    [
      process.execPath,
      "--import",
      "tsx",
      SCRIPT,
      ...onvifCameraArgs(opts),
      ...(record === undefined ? [] : [`--record=${record}`]),
    ],
    { netns: opts.netns, isReady: isReadyLine },
  );
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return ""; // nothing received yet
      throw e;
    }
  };
  // What it received outlives the process: read once more at exit, then the file goes.
  let final: string | undefined;
  if (dir !== undefined && record !== undefined) {
    child.once("exit", () => {
      final = read(record);
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return {
    received: () => {
      if (record === undefined) throw new Error("start the simulator with record: true");
      return (final ?? read(record))
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Received);
    },
    uuid: ready.uuid,
    xaddr: ready.xaddr,
    host: new URL(ready.xaddr).hostname,
    httpPort: ready.httpPort,
    discoveryPort: ready.discoveryPort,
    stop: () => stopReadyProcess(child),
    kill: () => killReadyProcess(child),
  };
}

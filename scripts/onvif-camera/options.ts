import { randomUUID } from "node:crypto";
import { isIPv4 } from "node:net";
import { parseArgs } from "node:util";
import { SNAPSHOT_AUTHS, type SnapshotAuth } from "./http-auth.js";

// The simulator's command line, parsed once into a typed, validated config; errors name the flag.

export const STYLES = ["hikvision", "dahua"] as const;
export type Style = (typeof STYLES)[number];

export const ENCODINGS = ["H264", "H265"] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Hostile behaviours for the gateway's hostile-input tests (one per run). */
export const MISBEHAVIOURS = [
  "soap-malformed",
  "soap-truncated",
  "soap-oversized",
  "soap-slow",
  "soap-doctype",
  "soap-html",
  "no-profiles",
  "discovery-garbage",
  "discovery-oversized",
] as const;
export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

export interface StreamOptions {
  readonly width: number;
  readonly height: number;
  readonly encoding: Encoding;
  /** RTSP URI returned by GetStreamUri; undefined means the style's default path on --host. */
  readonly uri: string | undefined;
}

export interface CameraOptions {
  readonly host: string;
  readonly httpPort: number;
  readonly discoveryPort: number;
  readonly multicast: boolean;
  /** Bare UUID (no `urn:uuid:`). */
  readonly uuid: string;
  readonly username: string;
  readonly password: string;
  readonly skewSeconds: number;
  readonly main: StreamOptions;
  readonly sub: StreamOptions;
  readonly snapshotUri: string | undefined;
  /** How the snapshot URI is guarded: HTTP Digest (the default, as Hikvision and Dahua do), Basic, or not. */
  readonly snapshotAuth: SnapshotAuth;
  readonly fps: number;
  readonly style: Style;
  /** Undefined fields take the style's defaults (a plausible camera of that vendor). */
  readonly identity: Partial<Identity>;
  readonly xaddrHost: string;
  readonly maxDelayMs: number;
  /** Delay before answering a unicast Probe, in ms (default 0: at once). */
  readonly unicastDelayMs: number;
  readonly misbehave: Misbehaviour | undefined;
  /**
   * Answer GetDeviceInformation without credentials. Off by default, as on most firmware: ONVIF Core lists
   * GetDeviceInformation outside the PRE_AUTH access class, and cameras answer it NotAuthorized.
   */
  readonly openDeviceInfo: boolean;
  /** Append one JSON line per request received (SOAP and RTSP) to this file, before answering it. */
  readonly record: string | undefined;
  /**
   * A hostile camera's RTSP port on --host: it records each request and answers 401 with a Basic challenge,
   * as a forger fishing for the stream password would.
   */
  readonly rtspTrapPort: number | undefined;
}

export interface Identity {
  readonly name: string;
  readonly hardware: string;
  readonly location: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly firmware: string;
  readonly serial: string;
  /** GetDeviceInformation's HardwareId (Hikvision firmware says "88", Dahua "1.00"). */
  readonly hardwareId: string;
}

export class OptionError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag}: ${message}`);
    this.name = "OptionError";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseOptions(argv: readonly string[]): CameraOptions {
  const { values } = parseArgs({
    args: joinNegativeNumbers(argv),
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      "http-port": { type: "string", default: "0" },
      "discovery-port": { type: "string", default: "3702" },
      multicast: { type: "boolean", default: false },
      uuid: { type: "string" },
      username: { type: "string", default: "admin" },
      password: { type: "string", default: "admin123" },
      "skew-seconds": { type: "string", default: "0" },
      "main-uri": { type: "string" },
      "sub-uri": { type: "string" },
      "snapshot-uri": { type: "string" },
      "snapshot-auth": { type: "string", default: "digest" },
      "main-size": { type: "string", default: "1920x1080" },
      "sub-size": { type: "string", default: "640x360" },
      "main-encoding": { type: "string", default: "H264" },
      "sub-encoding": { type: "string", default: "H264" },
      fps: { type: "string", default: "25" },
      name: { type: "string" },
      hardware: { type: "string" },
      location: { type: "string" },
      manufacturer: { type: "string" },
      model: { type: "string" },
      firmware: { type: "string" },
      serial: { type: "string" },
      "hardware-id": { type: "string" },
      style: { type: "string", default: "hikvision" },
      "xaddr-host": { type: "string" },
      "max-delay-ms": { type: "string", default: "500" },
      "unicast-delay-ms": { type: "string", default: "0" },
      misbehave: { type: "string" },
      "open-device-info": { type: "boolean", default: false },
      record: { type: "string" },
      "rtsp-trap-port": { type: "string" },
    },
  });

  const host = values.host;
  if (!isIPv4(host)) throw new OptionError("host", `${JSON.stringify(host)} is not an IPv4 address`);
  const uuid = (values.uuid ?? randomUUID()).replace(/^urn:uuid:/i, "").toLowerCase();
  if (!UUID.test(uuid)) throw new OptionError("uuid", `${JSON.stringify(values.uuid)} is not a UUID`);

  const size = (flag: string, text: string): { width: number; height: number } => {
    const match = /^(\d{2,5})x(\d{2,5})$/.exec(text);
    if (!match) throw new OptionError(flag, `${JSON.stringify(text)} is not WIDTHxHEIGHT`);
    return { width: Number(match[1]), height: Number(match[2]) };
  };
  const stream = (which: "main" | "sub"): StreamOptions => ({
    ...size(`${which}-size`, values[`${which}-size`]),
    encoding: oneOf(`${which}-encoding`, values[`${which}-encoding`], ENCODINGS),
    uri: values[`${which}-uri`],
  });

  return {
    host,
    httpPort: integer("http-port", values["http-port"], 0, 65535),
    discoveryPort: integer("discovery-port", values["discovery-port"], 1, 65535),
    multicast: values.multicast,
    uuid,
    username: values.username,
    password: values.password,
    skewSeconds: integer("skew-seconds", values["skew-seconds"], -10 * 365 * 86400, 10 * 365 * 86400),
    main: stream("main"),
    sub: stream("sub"),
    snapshotUri: values["snapshot-uri"],
    snapshotAuth: oneOf("snapshot-auth", values["snapshot-auth"], SNAPSHOT_AUTHS),
    fps: integer("fps", values.fps, 1, 120),
    style: oneOf("style", values.style, STYLES),
    identity: {
      name: values.name,
      hardware: values.hardware,
      location: values.location,
      manufacturer: values.manufacturer,
      model: values.model,
      firmware: values.firmware,
      serial: values.serial,
      hardwareId: values["hardware-id"],
    },
    xaddrHost: values["xaddr-host"] ?? host,
    maxDelayMs: integer("max-delay-ms", values["max-delay-ms"], 0, 60_000),
    unicastDelayMs: integer("unicast-delay-ms", values["unicast-delay-ms"], 0, 60_000),
    misbehave:
      values.misbehave === undefined ? undefined : oneOf("misbehave", values.misbehave, MISBEHAVIOURS),
    openDeviceInfo: values["open-device-info"],
    record: values.record,
    rtspTrapPort:
      values["rtsp-trap-port"] === undefined
        ? undefined
        : integer("rtsp-trap-port", values["rtsp-trap-port"], 1, 65535),
  };
}

/** `--skew-seconds -3600` as `--skew-seconds=-3600`: parseArgs would take -3600 for a flag. */
function joinNegativeNumbers(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const next = argv[i + 1];
    if (arg.startsWith("--") && !arg.includes("=") && next !== undefined && /^-\d+$/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) {
    throw new OptionError(flag, `${JSON.stringify(text)} is not an integer in ${min}..${max}`);
  }
  return value;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === text);
  if (found === undefined)
    throw new OptionError(flag, `${JSON.stringify(text)} is not one of ${allowed.join(", ")}`);
  return found;
}

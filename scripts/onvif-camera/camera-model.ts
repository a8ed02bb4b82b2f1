import { dahua } from "./dahua-style.js";
import { hikvision } from "./hikvision-style.js";
import type { CameraOptions, Identity, StreamOptions, Style } from "./options.js";
import type { VendorStyle } from "./vendor-style.js";

// Everything a reply needs to know about the simulated camera, resolved once the HTTP port is bound.

const VENDOR_STYLES: Readonly<Record<Style, VendorStyle>> = { hikvision, dahua };

export interface ProfileModel {
  readonly token: string;
  readonly name: string;
  /** 1 for the main stream, 2 for the sub stream: numbers the vendor's encoder tokens and names. */
  readonly index: 1 | 2;
  readonly stream: StreamOptions;
  readonly uri: string;
}

export interface CameraModel {
  readonly options: CameraOptions;
  readonly style: VendorStyle;
  readonly identity: Identity;
  /** Endpoint reference as the vendor writes it (`urn:uuid:…`, or Dahua's bare `uuid:…`). */
  readonly endpoint: string;
  readonly httpPort: number;
  /** `http://<xaddr-host>:<port>`: what the camera advertises, which may not be where it is. */
  readonly xaddrBase: string;
  readonly profiles: readonly [ProfileModel, ProfileModel];
  readonly snapshotUri: string;
  readonly scopes: readonly string[];
  /** The camera's clock: real time plus --skew-seconds. */
  nowMs(): number;
}

export const SNAPSHOT_PATH = "/onvif/snapshot.jpg";

export function describeCamera(options: CameraOptions, httpPort: number): CameraModel {
  const style = VENDOR_STYLES[options.style];
  const identity: Identity = {
    name: options.identity.name ?? style.defaults.name,
    hardware: options.identity.hardware ?? options.identity.model ?? style.defaults.hardware,
    location: options.identity.location ?? style.defaults.location,
    manufacturer: options.identity.manufacturer ?? style.defaults.manufacturer,
    model: options.identity.model ?? style.defaults.model,
    firmware: options.identity.firmware ?? style.defaults.firmware,
    serial: options.identity.serial ?? style.defaults.serial,
    hardwareId: options.identity.hardwareId ?? style.defaults.hardwareId,
  };
  const profile = (index: 1 | 2, stream: StreamOptions): ProfileModel => {
    const { token, name } = style.profileNames[index === 1 ? 0 : 1];
    return { token, name, index, stream, uri: stream.uri ?? style.defaultStreamUri(options.host, index) };
  };
  return {
    options,
    style,
    identity,
    endpoint: `${style.endpointPrefix}${options.uuid}`,
    httpPort,
    xaddrBase: `http://${options.xaddrHost}:${httpPort}`,
    profiles: [profile(1, options.main), profile(2, options.sub)],
    snapshotUri: options.snapshotUri ?? `http://${options.host}:${httpPort}${SNAPSHOT_PATH}`,
    scopes: style.scopes(identity),
    nowMs: () => Date.now() + options.skewSeconds * 1000,
  };
}

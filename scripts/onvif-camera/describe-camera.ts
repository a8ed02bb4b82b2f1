import { SNAPSHOT_PATH, type CameraModel, type ProfileModel, type VendorStyle } from "./camera-model.js";
import { dahua } from "./dahua-style.js";
import { hikvision } from "./hikvision-style.js";
import type { CameraOptions, Identity, StreamOptions, Style } from "./options.js";

const VENDOR_STYLES: Readonly<Record<Style, VendorStyle>> = { hikvision, dahua };

/** The simulated camera as its replies see it: the options resolved against the vendor's defaults. */
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

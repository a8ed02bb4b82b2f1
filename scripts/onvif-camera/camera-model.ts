import type { CameraOptions, Identity, StreamOptions } from "./options.js";
import type { XmlNode } from "./xml.js";

// Everything a reply needs to know about the simulated camera (resolved once the HTTP port is bound,
// describe-camera.ts), and what a vendor style is: how one vendor's firmware writes its replies (prefixes,
// namespace declarations, element order, whitespace, tokens and extra elements). The two refer to each
// other, so they share this file; the styles themselves import it.

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

export type FaultKind =
  "NotAuthorized" | "ActionNotSupported" | "WellFormed" | "VersionMismatch" | "NoProfile" | "NoSuchService";

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One message number per sent WS-Discovery message, and the instance they belong to (WS-Discovery §7). */
export interface AppSequence {
  readonly instanceId: number;
  readonly messageNumber: number;
}

/** How one vendor's firmware writes its replies: hikvision-style.ts and dahua-style.ts are the two. */
export interface VendorStyle {
  readonly defaults: Identity;
  readonly profileNames: readonly [{ token: string; name: string }, { token: string; name: string }];
  readonly endpointPrefix: string;
  /** Service paths as advertised in GetCapabilities and GetServices. */
  readonly paths: { readonly device: string; readonly media: string; readonly events: string };
  defaultStreamUri(host: string, index: 1 | 2): string;
  scopes(identity: Identity): string[];
  /** A whole HTTP reply body around the given Body content. */
  envelope(body: XmlNode): string;
  fault(kind: FaultKind): Reply;
  probeMatches(
    camera: CameraModel,
    relatesTo: string,
    messageId: string,
    seq: AppSequence,
    scopes?: readonly string[],
  ): string;
  systemDateAndTime(cameraNowMs: number): XmlNode;
  deviceInformation(camera: CameraModel): XmlNode;
  /** Undefined when none of the requested categories exists (the camera then faults). */
  capabilities(camera: CameraModel, categories: ReadonlySet<string>): XmlNode | undefined;
  services(camera: CameraModel, includeCapability: boolean): XmlNode;
  scopesResponse(camera: CameraModel): XmlNode;
  profiles(camera: CameraModel, empty: boolean): XmlNode;
  mediaUri(operation: "GetStreamUri" | "GetSnapshotUri", uri: string): XmlNode;
}

import { isIPv4 } from "node:net";
import { needsTranscode } from "../cameras/camera.js";
import type { Explanation } from "../common/explanation.js";
import { explain, OnvifError } from "./onvif-error.js";
import {
  parseDeviceInformation,
  parseMediaUri,
  parseMediaXaddr,
  parseProfiles,
  parseSystemDateAndTime,
  type DeviceInformation,
  type OnvifProfile,
} from "./onvif-replies.js";
import { identityOf, type IdentityCheck } from "./move-decision.js";
import { codecOf, suggestProfiles, type ProfileCodec } from "./profile-choice.js";
import { NS, safeUrl, type SoapAuth, type SoapCallOptions, type SoapClient } from "./soap-client.js";
import type { WsDiscovery } from "./ws-discovery.js";
import type { Credentials } from "./ws-security.js";
import { escapeXml } from "./xml.js";

export interface InspectedProfile extends OnvifProfile {
  codec: ProfileCodec;
  /** H.265: browsers cannot play it, so the gateway transcodes (costly on small machines). */
  needsTranscode: boolean;
  /** RTSP URI without credentials; null when the camera gave none (see `problem`). */
  streamUri: string | null;
  /** The camera named another host in its URI; Pantau uses the camera's own address instead. */
  uriRewritten: boolean;
  problem?: string;
}

export interface Inspection {
  deviceServiceUrl: string;
  host: string;
  /** Endpoint reference from a unicast WS-Discovery probe; null when the camera did not answer one. */
  uuid: string | null;
  device: DeviceInformation;
  clock: { cameraUtc: string | null; skewSeconds: number | null };
  profiles: InspectedProfile[];
  suggested: { main: string | null; sub: string | null };
  snapshotUri: string | null;
  warnings: { code: string; messages: Explanation; detail?: string }[];
  durationMs: number;
}

export interface InspectorOptions {
  discoveryPort: number;
  /** How long the unicast probe for the device's UUID may take; it runs beside the SOAP calls. */
  uuidProbeMs?: number;
}

/** Skew beyond which the admin is told to set the camera's clock (it is corrected for either way). */
const CLOCK_WARN_MS = 60_000;
const MAX_PROFILES = 16;
/** A camera answers a unicast Probe at once (no APP_MAX_DELAY); this is for a slow or busy one. */
const UUID_PROBE_MS = 1500;

/** The device service URL for a host typed by an admin. */
export function deviceUrlOf(host: string, port = 80, path = "/onvif/device_service"): string {
  const h = isIPv4(host) || !host.includes(":") ? host : `[${host}]`;
  return `http://${h}:${port}${path}`;
}

/** Keeps a URL a camera gave on the camera's own host (see chooseDeviceUrl in ws-discovery.ts). */
export function onHost(url: string, host: string): { url: string; rewritten: boolean } {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  if (u.hostname === host || u.hostname === `[${host}]`) return { url: u.toString(), rewritten: false };
  u.hostname = host;
  return { url: u.toString(), rewritten: true };
}

/**
 * The camera's clock by GetSystemDateAndTime, asked without credentials (ONVIF Core §5.9.4 allows it), and
 * its skew: camera UTC minus our clock at the middle of the request, in ms (the camera gives whole
 * seconds). Undefined when the reply holds no date; an OnvifError when the call fails.
 */
export async function readCameraClock(
  soap: SoapClient,
  deviceServiceUrl: string,
  now: () => number = Date.now,
  opts: SoapCallOptions = {},
): Promise<{ cameraUtc: Date; skewMs: number } | undefined> {
  const t0 = now();
  const body = await soap.call(deviceServiceUrl, NS.device, "GetSystemDateAndTime", "", undefined, opts);
  const t1 = now();
  const cameraUtc = parseSystemDateAndTime(body);
  return cameraUtc === undefined ? undefined : { cameraUtc, skewMs: cameraUtc.getTime() - (t0 + t1) / 2 };
}

/** GetDeviceInformation (with credentials when given); an OnvifError when it fails or says nothing. */
export async function readDeviceInformation(
  soap: SoapClient,
  deviceServiceUrl: string,
  auth?: SoapAuth,
  opts: SoapCallOptions = {},
): Promise<DeviceInformation> {
  const device = parseDeviceInformation(
    await soap.call(deviceServiceUrl, NS.device, "GetDeviceInformation", "", auth, opts),
  );
  if (!device)
    throw new OnvifError("onvif_bad_reply", "GetDeviceInformation answered without device information");
  return device;
}

/** Asks a camera, over ONVIF, who it is, what its clock says, and which streams it offers. */
export class OnvifInspector {
  constructor(
    private readonly soap: SoapClient,
    private readonly discovery: WsDiscovery,
    private readonly opts: InspectorOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async inspect(deviceServiceUrl: string, creds: Credentials): Promise<Inspection> {
    const started = performance.now();
    const host = new URL(deviceServiceUrl).hostname.replace(/^\[|\]$/g, "");
    // A host outside the allowed networks is refused before anything is sent, the UUID probe included.
    await this.soap.pin(host);
    const uuid = this.uuidOf(host);
    const warnings: Inspection["warnings"] = [];

    // 1. The clock, without credentials (ONVIF Core §5.9.4 allows it), so the digest can be in the
    //    camera's time: a camera refuses a UsernameToken whose Created is far from its own clock.
    const { skewMs, cameraUtc } = await this.clockOf(deviceServiceUrl);
    if (skewMs !== null && Math.abs(skewMs) > CLOCK_WARN_MS) {
      warnings.push({
        code: "onvif_clock_far_off",
        messages: explain("onvif_clock_far_off"),
        detail: `camera clock is ${Math.round(skewMs / 1000)} s off`,
      });
    }
    const auth: SoapAuth = { ...creds, skewMs: skewMs ?? 0 };

    // 2. Who it is; the first call that proves the credentials.
    let device: DeviceInformation;
    try {
      device = await readDeviceInformation(this.soap, deviceServiceUrl, auth);
    } catch (e) {
      if (e instanceof OnvifError && e.code === "onvif_auth_failed" && skewMs === null) {
        // Without the camera's time the digest is in ours; a camera far off refuses it as if the password
        // were wrong, so the admin is told both.
        throw new OnvifError("onvif_auth_failed", `${e.detail}; the camera's clock could not be read`, {
          id: "Kamera menolak login. Kata sandi salah, atau jam kamera sangat berbeda dari jam server (jam kamera tidak dapat dibaca). Periksa akun ONVIF dan atur jam kamera (NTP).",
          en: "The camera refused the login. Either the password is wrong, or the camera's clock is far off the server's (it could not be read). Check the ONVIF account and set the camera's clock (NTP).",
        });
      }
      throw e;
    }

    // 3. Where its media service is; cameras that do not say serve media on the device URL.
    const media = await this.mediaUrlOf(deviceServiceUrl, host, auth);
    const mediaUrl = media.url;
    if (media.announced !== undefined && media.rewritten) {
      warnings.push({
        code: "onvif_xaddr_rewritten",
        messages: {
          id: "Kamera menyebut alamat lain untuk layanan medianya; Pantau memakai alamat kamera ini.",
          en: "The camera named another address for its media service; Pantau uses this camera's address.",
        },
        detail: `announced ${safeUrl(media.announced)}`,
      });
    }

    // 4. Its profiles and, per profile, the stream URI.
    const parsed = parseProfiles(await this.soap.call(mediaUrl, NS.media, "GetProfiles", "", auth));
    if (parsed === undefined)
      throw new OnvifError("onvif_bad_reply", "GetProfiles answered without profiles");
    if (parsed.length === 0) throw new OnvifError("onvif_no_profiles", "GetProfiles listed no video profile");
    const profiles = await Promise.all(
      parsed.slice(0, MAX_PROFILES).map((p) => this.streamOf(mediaUrl, host, p, auth)),
    );
    const suggested = suggestProfiles(profiles.filter((p) => p.streamUri !== null));
    if (profiles.every((p) => p.codec === "unsupported")) {
      warnings.push({
        code: "onvif_no_playable_profile",
        messages: {
          id: "Tidak ada profil H.264 atau H.265. Ubah enkode video kamera ke H.264.",
          en: "No H.264 or H.265 profile. Set the camera's video encoding to H.264.",
        },
      });
    }

    // 5. A snapshot URI for the main profile, if the camera has one (many do not; not an error).
    let snapshotUri: string | null = null;
    if (suggested.main !== null) {
      try {
        snapshotUri = await this.snapshotUriAt(mediaUrl, host, suggested.main, auth);
      } catch (e) {
        if (!(e instanceof OnvifError)) throw e;
      }
    }

    return {
      deviceServiceUrl,
      host,
      uuid: await uuid,
      device,
      clock: {
        cameraUtc: cameraUtc?.toISOString() ?? null,
        skewSeconds: skewMs === null ? null : Math.round(skewMs / 1000),
      },
      profiles,
      suggested,
      snapshotUri,
      warnings,
      durationMs: Math.round(performance.now() - started),
    };
  }

  private async streamOf(
    mediaUrl: string,
    host: string,
    p: OnvifProfile,
    auth: SoapAuth,
  ): Promise<InspectedProfile> {
    const codec = codecOf(p.encoding);
    const transcode = codec !== "unsupported" && needsTranscode("rtsp", codec);
    const base = { ...p, codec, needsTranscode: transcode, streamUri: null, uriRewritten: false };
    if (codec === "unsupported")
      return { ...base, problem: `encoding ${p.encoding ?? "unknown"} is not H.264 or H.265` };
    let uri: string | undefined;
    try {
      uri = parseMediaUri(
        await this.soap.call(
          mediaUrl,
          NS.media,
          "GetStreamUri",
          `<m:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></m:StreamSetup>` +
            `<m:ProfileToken>${escapeXml(p.token)}</m:ProfileToken>`,
          auth,
        ),
        "GetStreamUriResponse",
      );
    } catch (e) {
      // Credentials, reachability and timeouts concern the whole camera; a per-profile refusal does not.
      if (e instanceof OnvifError && (e.code === "onvif_not_supported" || e.code === "onvif_bad_reply")) {
        return { ...base, problem: e.detail };
      }
      throw e;
    }
    if (uri === undefined || !/^rtsps?:\/\//i.test(uri)) {
      return { ...base, problem: `stream URI is not RTSP: ${uri === undefined ? "none" : safeUrl(uri)}` };
    }
    try {
      const kept = onHost(uri, host);
      return { ...base, streamUri: kept.url, uriRewritten: kept.rewritten };
    } catch {
      return { ...base, problem: "stream URI is not a valid URL" };
    }
  }

  /**
   * The snapshot URI of a registered camera's profile (on the camera's own host), or null when it has
   * none: the clock, the media service and GetSnapshotUri, as steps 1, 3 and 5 of inspect() ask them.
   * Failures are OnvifErrors (an address outside the allowed networks an AddressNotAllowedError).
   */
  async snapshotUri(
    deviceServiceUrl: string,
    creds: Credentials,
    profileToken: string,
  ): Promise<string | null> {
    const host = new URL(deviceServiceUrl).hostname.replace(/^\[|\]$/g, "");
    const { skewMs } = await this.clockOf(deviceServiceUrl);
    const auth: SoapAuth = { ...creds, skewMs: skewMs ?? 0 };
    const media = await this.mediaUrlOf(deviceServiceUrl, host, auth);
    try {
      return await this.snapshotUriAt(media.url, host, profileToken, auth);
    } catch (e) {
      if (e instanceof OnvifError && e.code === "onvif_not_supported") return null;
      throw e;
    }
  }

  /**
   * The camera's clock, asked without credentials (ONVIF Core §5.9.4 allows it), so a digest can be in the
   * camera's time; null skew when the camera wants credentials even for that, or has no such call.
   */
  private async clockOf(deviceServiceUrl: string): Promise<{ skewMs: number | null; cameraUtc?: Date }> {
    try {
      const clock = await readCameraClock(this.soap, deviceServiceUrl, this.now);
      return clock ? { skewMs: clock.skewMs, cameraUtc: clock.cameraUtc } : { skewMs: null };
    } catch (e) {
      if (!(e instanceof OnvifError && (e.code === "onvif_auth_failed" || e.code === "onvif_not_supported")))
        throw e;
      return { skewMs: null };
    }
  }

  /** Where the media service is (GetCapabilities), kept on the camera's host; the device URL if unsaid. */
  private async mediaUrlOf(
    deviceServiceUrl: string,
    host: string,
    auth: SoapAuth,
  ): Promise<{ url: string; announced?: string; rewritten: boolean }> {
    try {
      const announced = parseMediaXaddr(
        await this.soap.call(
          deviceServiceUrl,
          NS.device,
          "GetCapabilities",
          "<m:Category>Media</m:Category>",
          auth,
        ),
      );
      if (announced === undefined) return { url: deviceServiceUrl, rewritten: false };
      const kept = onHost(announced, host);
      return { url: kept.url, announced, rewritten: kept.rewritten };
    } catch (e) {
      if (!(e instanceof OnvifError && e.code === "onvif_not_supported")) throw e;
      return { url: deviceServiceUrl, rewritten: false };
    }
  }

  /** GetSnapshotUri for a profile: an http(s) URI on the camera's own host, or null when it names none. */
  private async snapshotUriAt(
    mediaUrl: string,
    host: string,
    profileToken: string,
    auth: SoapAuth,
  ): Promise<string | null> {
    const uri = parseMediaUri(
      await this.soap.call(
        mediaUrl,
        NS.media,
        "GetSnapshotUri",
        `<m:ProfileToken>${escapeXml(profileToken)}</m:ProfileToken>`,
        auth,
      ),
      "GetSnapshotUriResponse",
    );
    return uri !== undefined && /^https?:/i.test(uri) ? onHost(uri, host).url : null;
  }

  /**
   * Who a host says it is, asked without credentials (no WS-Security header, no answer to an HTTP Digest
   * challenge: either could be cracked offline by a host that is not the camera). Most firmware wants a
   * login for GetDeviceInformation (ONVIF Core lists it outside the PRE_AUTH class): that is `needs_auth`.
   */
  async identityOf(deviceServiceUrl: string): Promise<IdentityCheck> {
    try {
      const device = await readDeviceInformation(this.soap, deviceServiceUrl);
      const identity = identityOf(device);
      return identity === null
        ? { kind: "failed", detail: "GetDeviceInformation gave no serial number" }
        : { kind: "answered", identity };
    } catch (e) {
      if (!(e instanceof OnvifError)) throw e;
      return e.code === "onvif_auth_failed" ? { kind: "needs_auth" } : { kind: "failed", detail: e.detail };
    }
  }

  /** The device's endpoint reference, by a unicast Probe to it; null when it does not answer one. */
  private async uuidOf(host: string): Promise<string | null> {
    if (!isIPv4(host)) return null;
    try {
      const r = await this.discovery.probe({
        multicast: false,
        hosts: [host],
        port: this.opts.discoveryPort,
        timeoutMs: this.opts.uuidProbeMs ?? UUID_PROBE_MS,
        expect: 1,
      });
      return r.devices.find((d) => d.address === host)?.uuid ?? null;
    } catch {
      return null;
    }
  }
}

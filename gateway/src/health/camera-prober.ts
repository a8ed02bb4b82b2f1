import type { Camera } from "../cameras/camera.js";
import type { NetworkGuard } from "../net/network-guard.js";
import type { SoapClient } from "../onvif/soap-client.js";
import type { CameraProber, ProbeOutcome } from "./health-monitor.js";
import { onvifFacts } from "./onvif-facts.js";
import { probeRtsp } from "./rtsp-probe.js";

export interface NetworkProberOptions {
  network: NetworkGuard;
  /** Cap on each RTSP reply (a camera's SDP is 1–2 KB). */
  maxReplyBytes?: number;
  /** The gateway's clock, which the camera's clock is compared against. */
  now?: () => number;
  /** Whether an rtmp camera is being pushed now (ingest/rtmp-server.ts); undefined: RTMP is off. */
  rtmpPublishing?: (cameraId: string) => boolean;
}

/**
 * A camera's probe over the network: RTSP OPTIONS + DESCRIBE on its main stream and, for an ONVIF camera,
 * GetSystemDateAndTime and GetDeviceInformation, both within the one deadline. The stream decides
 * reachability; what ONVIF says (or fails to say) is facts only: many cameras stream fine with a broken
 * ONVIF service.
 */
export class NetworkProber implements CameraProber {
  constructor(
    private readonly soap: SoapClient,
    private readonly opts: NetworkProberOptions,
  ) {}

  async probe(camera: Camera, deadlineMs: number): Promise<ProbeOutcome> {
    const source = camera.source;
    // A pushed camera cannot be reached from here: it is up while its NVR pushes to the RTMP listener.
    if (source.kind === "rtmp")
      return this.opts.rtmpPublishing?.(camera.id) === true
        ? { ok: true, ms: 0 }
        : { ok: false, ms: 0, error: "not_publishing" };
    if (source.kind !== "rtsp") return { ok: true, ms: 0 };
    const onvifCreds =
      source.username === undefined
        ? undefined
        : { username: source.username, password: source.password ?? "" };
    const [rtsp, onvif] = await Promise.all([
      probeRtsp(
        source.url,
        { username: source.username, password: source.password },
        { deadlineMs, maxReplyBytes: this.opts.maxReplyBytes ?? 64 * 1024, network: this.opts.network },
      ),
      camera.onvif === null
        ? Promise.resolve(undefined)
        : onvifFacts(this.soap, camera.onvif.deviceServiceUrl, onvifCreds, deadlineMs, {
            ...(this.opts.now ? { now: this.opts.now } : {}),
          }).catch(() => undefined),
    ]);
    return {
      ok: rtsp.ok,
      ms: Math.round(rtsp.ms),
      error: rtsp.error?.code,
      video: rtsp.video,
      // What it said, even when part of it failed (a refused login still has a readable clock).
      device:
        onvif === undefined
          ? undefined
          : {
              serial: onvif.serial,
              firmware: onvif.firmware,
              model: onvif.model,
              clockSkewMs: onvif.clockSkewMs,
            },
    };
  }
}

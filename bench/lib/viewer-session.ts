import type { GatewayProcess } from "./gateway-process.js";

/** What a parent's page gets from POST /api/watch/:cameraId. */
export interface WatchGrant {
  /** Absolute URL of the master playlist, `/live/<token>/index.m3u8`. */
  hls: string;
  expiresAt: number;
}

/**
 * The gateway settings an authorized bench needs: the demo (the parent link and its camera), dev stream URLs
 * off so every media request goes through the access layer, and limits high enough for a load generator
 * that shares one device and one IP (these knobs arrive with the access backend; harmless before).
 */
export const authorizedGatewayEnv: Record<string, string> = {
  PANTAU_DEMO: "1",
  PANTAU_DEV_OPEN_STREAMS: "0",
  PANTAU_ACCESS_MAX_VIEWERS_PER_CAMERA: "100000",
  PANTAU_HTTP_RATE_LIMIT_PER_MINUTE: "1000000",
};

/**
 * One parent device, as the demo parent link registers it: opens the link, taps its button (keeping the
 * device cookie it sets), finds the watchable camera and asks for stream URLs, as the viewer page does.
 */
export class ViewerSession {
  private constructor(
    private readonly base: string,
    readonly cookie: string,
    readonly cameraId: string,
  ) {}

  static async open(gw: GatewayProcess): Promise<ViewerSession> {
    if (gw.demoLink === undefined)
      throw new Error("the gateway printed no demo parent link (PANTAU_DEMO=1?)");
    // The link's page registers nothing; its button (a same-origin form post) registers the phone.
    const page = await fetch(gw.demoLink, { redirect: "manual" });
    await page.arrayBuffer();
    if (page.status >= 400) throw new Error(`GET ${gw.demoLink}: ${String(page.status)}`);
    const res = await fetch(gw.demoLink, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(gw.demoLink).origin },
    });
    await res.arrayBuffer();
    if (res.status >= 400) throw new Error(`POST ${gw.demoLink}: ${String(res.status)}`);
    // `name=value` of each Set-Cookie (the device cookie pantau_device=…), sent back as one Cookie header.
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .join("; ");
    const headers = cookie === "" ? undefined : { cookie };
    // The access backend's GET /api/viewer/me; before it, GET /api/watchable (the demo camera).
    let cameras: { id: string }[] | undefined;
    for (const path of ["/api/viewer/me", "/api/watchable"]) {
      const r = await fetch(`${gw.url}${path}`, { headers });
      if (r.status === 404) {
        await r.arrayBuffer();
        continue;
      }
      if (!r.ok) throw new Error(`GET ${path}: ${String(r.status)} ${await r.text()}`);
      cameras = ((await r.json()) as { cameras?: { id: string }[] }).cameras;
      break;
    }
    const cameraId = cameras?.[0]?.id;
    if (cameraId === undefined) throw new Error("the demo parent may watch no camera");
    return new ViewerSession(gw.url, cookie, cameraId);
  }

  /** POST /api/watch/:cameraId: fresh stream URLs (a token lives ≤ 10 min; ask again to renew). */
  async watch(): Promise<WatchGrant> {
    const res = await fetch(`${this.base}/api/watch/${encodeURIComponent(this.cameraId)}`, {
      method: "POST",
      headers: this.cookie === "" ? {} : { cookie: this.cookie },
    });
    if (!res.ok) throw new Error(`POST /api/watch: ${String(res.status)} ${await res.text()}`);
    const body = (await res.json()) as { hls: string; expiresAt: string };
    return { hls: new URL(body.hls, this.base).href, expiresAt: Date.parse(body.expiresAt) };
  }
}

/**
 * Points the demo camera (the one the demo parent may watch) at the test camera, as copy, always on: the
 * same H.264 the baseline's ffmpeg copies, and no encoder on these 2 cores. Returns a note when it cannot.
 */
export async function pointDemoCameraAt(
  gw: GatewayProcess,
  cameraId: string,
  rtspUrl: string,
): Promise<string> {
  try {
    await gw.patchCamera(cameraId, { source: { kind: "rtsp", url: rtspUrl }, alwaysOn: true });
    return "";
  } catch (err) {
    return `could not re-point the demo camera (${err instanceof Error ? err.message : String(err)})`;
  }
}

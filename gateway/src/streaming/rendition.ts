import {
  needsTranscode,
  type Camera,
  type CameraSource,
  type IngestSource,
  type RenditionName,
} from "../cameras/camera.js";
import type { Clock } from "../common/clock.js";
import type { Config } from "../config/config.schema.js";
import { buildFfmpegArgs } from "../ffmpeg/ffmpeg-args.js";
import type { ProcessSpawner } from "../ffmpeg/process-spawner.js";
import { contextLogger, type Logger } from "../log/logger.js";
import { AddressNotAllowedError, type NetworkGuard } from "../net/network-guard.js";
import type { RenditionFacts } from "./hls/hls-view.js";
import { LiveStream } from "./live-stream.js";
import type { FeedCallbacks, RelayFeeds, RenditionFeed } from "./rendition-feed.js";
import {
  RenditionSupervisor,
  SourceUnavailable,
  type RenditionState,
  type SupervisorHealth,
} from "./rendition-supervisor.js";

/** Streaming's settings: the config's streaming and ffmpeg slices as parsed, and where cameras may be. */
export interface StreamSettings {
  streaming: Config["streaming"];
  ffmpeg: Config["ffmpeg"];
  /** Where cameras may be: ffmpeg gets the camera's checked address, resolved again at every start. */
  network: NetworkGuard;
  /** The time zone of the camera's school, for the clock the test pattern draws (Asia/Jakarta without one). */
  timeZoneOf?: (camera: Camera) => string | undefined;
  /** At a hub: the feeds of edges' cameras (fleet/relay-feed.ts). */
  relay?: RelayFeeds;
  /** The RTMP listener rtmp cameras are pulled from (ingest/rtmp-server.ts); undefined: RTMP is off. */
  rtmp?: RtmpIngest;
}

/** What a rendition asks of the RTMP listener. */
export interface RtmpIngest {
  /** Where the gateway's ffmpeg plays a camera's pushed stream; undefined while the listener is not bound. */
  pullUrl(cameraId: string): string | undefined;
  /**
   * Whether someone pushes the camera now: while no one does, no ffmpeg is started (it could only be refused)
   * and the rendition waits with the reason `not_publishing`; StreamManager.sourceBack starts it the moment
   * a push begins.
   */
  isPublishing(cameraId: string): boolean;
}

export interface RenditionHealth extends SupervisorHealth {
  cameraId: string;
  rendition: RenditionName;
  codecs: string | undefined;
  width: number | undefined;
  height: number | undefined;
  fps: number;
  bitrate: number;
  lastFragmentAgeMs: number | undefined;
  viewers: number;
  transcoding: boolean;
  memoryBytes: number;
}

const hlsViewerTtlMs = 10_000;

/**
 * A camera's running totals, shared by its renditions and kept by the stream manager for as long as the
 * camera exists: they outlive a rendition's stop and start, ffmpeg restarts and a disable/enable.
 */
export interface CameraTotals {
  /** fMP4 bytes read from ffmpeg's stdout, every rendition and run together. */
  ingestBytes: number;
  /** Starts after a failure or a stall (rendition-supervisor.ts); edits and codec switches are not counted. */
  reconnects: number;
  /** Wall time (ms, the gateway's clock) of the last fragment of any rendition. */
  lastFragmentAt: number | undefined;
}

/**
 * The source with each URL's host replaced by its checked address, so ffmpeg connects where the check
 * looked (the stored source, shown to admins, keeps the name). A refusal rejects with one line for the log
 * and the health page.
 */
async function pinned(
  network: NetworkGuard,
  source: Extract<CameraSource, { kind: "rtsp" }>,
): Promise<IngestSource> {
  try {
    return {
      ...source,
      url: await network.pinUrl(source.url),
      subUrl: source.subUrl === undefined ? undefined : await network.pinUrl(source.subUrl),
    };
  } catch (e) {
    if (e instanceof AddressNotAllowedError)
      throw new Error(`camera address not allowed (network.allowedNetworks): ${e.detail}`);
    throw e;
  }
}

/**
 * One camera rendition at run time: its supervisor (the ffmpeg), its LiveStream (the packager state) and
 * its viewers, which decide when an on-demand rendition starts and stops. The one face HTTP and WebSocket
 * code sees: the supervisor stays inside.
 */
export class Rendition {
  readonly stream: LiveStream;
  /** A supervised ffmpeg, or at a hub an edge's relay. */
  private readonly supervisor: RenditionFeed;
  private wsViewers = 0;
  private readonly hlsViewers = new Map<string, number>();
  private lastUse: number;
  private transcode: boolean;
  private gotInit = false;
  private thoroughProbe = false;
  private facts: RenditionFacts | undefined;

  constructor(
    private camera: Camera,
    readonly name: RenditionName,
    settings: StreamSettings,
    spawner: ProcessSpawner,
    private readonly clock: Clock,
    log: Logger,
    /** Told when ffmpeg revealed the codec, so the registry remembers it. */
    private readonly onCodec: (cameraId: string, codec: "h264" | "h265") => void,
    /** The camera's totals this rendition adds to. */
    totals: CameraTotals,
  ) {
    this.lastUse = clock.now();
    this.transcode = needsTranscode(camera.source.kind, camera.videoCodec);
    const rlog = contextLogger(log, `cam ${camera.name}/${name}`);
    const { streaming, ffmpeg } = settings;
    this.stream = new LiveStream({
      windowSeconds: streaming.windowSeconds,
      partTargetSeconds: streaming.partTargetSeconds,
      maxSegmentSeconds: 6,
      // Two parts: enough for hls.js to start (it waits for a complete segment), little added to a cold start.
      firstSegmentSeconds: streaming.partTargetSeconds * 2,
      now: () => clock.now(),
    });
    const callbacks: FeedCallbacks = {
      onInit: (init) => {
        this.gotInit = true;
        // While copying, the init segment tells what the camera sends (RFC 6381 sample entry).
        const sent = /^(hvc1|hev1)/.test(init.codecs) ? "h265" : "h264";
        if (!this.transcode && needsTranscode(this.camera.source.kind, sent)) {
          this.transcode = true;
          this.onCodec(this.camera.id, sent);
          this.supervisor.restart("H.265 source: transcoding to H.264");
          return;
        }
        if (!this.transcode) this.onCodec(this.camera.id, sent);
        this.facts = {
          codecs: init.codecs,
          width: init.width,
          height: init.height,
          bitrate: this.facts?.bitrate,
        };
        this.stream.pushInit(init);
      },
      onFragment: (f) => {
        totals.lastFragmentAt = clock.now();
        this.stream.pushFragment(f);
      },
      onIngest: (bytes) => {
        totals.ingestBytes += bytes;
      },
      onReconnect: () => {
        totals.reconnects++;
      },
      onRunEnd: () => {
        // A run that never produced an init may have been cut short by the fast probe: probe thoroughly.
        if (!this.gotInit && this.camera.source.kind === "rtsp") this.thoroughProbe = true;
        this.gotInit = false;
        const recent = this.stream.recent(5000);
        if (this.facts && recent.bytes > 0) this.facts.bitrate = (recent.bytes * 8) / recent.seconds;
        this.stream.end();
      },
    };
    const { source } = camera;
    if (source.kind === "edge") {
      if (!settings.relay)
        throw new Error(`camera ${camera.id} is an edge's camera, and this gateway is no hub`);
      this.supervisor = settings.relay({ ...camera, source }, name, callbacks, rlog);
      return;
    }
    this.supervisor = new RenditionSupervisor(spawner, clock, rlog, {
      ...callbacks,
      ffmpegPath: ffmpeg.path,
      args: () => {
        const build = (source: IngestSource) =>
          buildFfmpegArgs({
            source,
            rendition: name,
            video: this.transcode ? { mode: "transcode", encoder: ffmpeg.encoder } : { mode: "copy" },
            audio: this.camera.audio,
            rtspTimeoutSeconds: ffmpeg.rtspTimeoutSeconds,
            probe: this.thoroughProbe ? "thorough" : "fast",
            ...(source.kind === "test-pattern" && {
              clock: { atMs: clock.now(), timeZone: settings.timeZoneOf?.(this.camera) ?? "Asia/Jakarta" },
            }),
            pullUrl: source.kind === "rtmp" ? settings.rtmp?.pullUrl(this.camera.id) : undefined,
          });
        const { source } = this.camera;
        if (source.kind === "edge") throw new Error("an edge's camera has no ffmpeg here");
        if (source.kind === "rtsp") return pinned(settings.network, source).then(build);
        if (source.kind !== "rtmp") return build(source);
        // Async, so "RTMP is off" or "nobody pushes" fails the start (logged, backoff) rather than throwing
        // into a request.
        return Promise.resolve(source).then((s) => {
          if (settings.rtmp?.isPublishing(this.camera.id) === false)
            throw new SourceUnavailable("not_publishing");
          return build(s);
        });
      },
      secrets: () => (this.camera.source.kind === "rtsp" ? [this.camera.source.password] : []),
      stallSeconds: streaming.stallSeconds,
      startTimeoutSeconds: streaming.startTimeoutSeconds,
    });
  }

  get cameraId(): string {
    return this.camera.id;
  }

  get alwaysOn(): boolean {
    return this.camera.alwaysOn;
  }

  /** Where the rendition's ffmpeg is in its lifecycle (rendition-supervisor.ts). */
  get state(): RenditionState {
    return this.supervisor.state;
  }

  /**
   * Waits until `ready` holds (a cold start becoming playable), across a restart (an H.265 camera is
   * restarted to transcode), but answers false at once when the start failed and the rendition is backing
   * off, or when it was stopped.
   */
  waitPlayable(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (v: boolean) => {
        off();
        resolve(v);
      };
      const off = this.supervisor.onStateChange((s) => {
        if (s === "backoff" || s === "idle") finish(false);
      });
      void this.stream.waitUntil(ready, timeoutMs, true).then(finish);
    });
  }

  /** What the last run showed (codec string, size, rate), kept while the rendition is stopped. */
  get lastSeen(): RenditionFacts | undefined {
    return this.facts;
  }

  /** A viewer wants this rendition: start it if needed (on demand). */
  acquire(): void {
    this.lastUse = this.clock.now();
    if (this.supervisor.state === "idle") this.stream.reset();
    this.supervisor.start();
  }

  /** An LL-HLS request from viewer session `sid` (viewers are counted by session, not by request). */
  touchHls(sid: string): void {
    const now = this.clock.now();
    this.hlsViewers.set(sid, now);
    this.lastUse = now;
  }

  wsOpened(): void {
    this.wsViewers++;
    this.acquire();
  }

  wsClosed(): void {
    this.wsViewers = Math.max(0, this.wsViewers - 1);
    this.lastUse = this.clock.now();
  }

  viewers(): number {
    const { ws, hlsSessions } = this.viewersByProtocol();
    return ws + hlsSessions.length;
  }

  /** Open WebSockets, and the LL-HLS viewer sessions heard from in the last 10 s. */
  viewersByProtocol(): { ws: number; hlsSessions: string[] } {
    const cutoff = this.clock.now() - hlsViewerTtlMs;
    for (const [sid, at] of this.hlsViewers) if (at < cutoff) this.hlsViewers.delete(sid);
    return { ws: this.wsViewers, hlsSessions: [...this.hlsViewers.keys()] };
  }

  /** Seconds since anyone used it; 0 while a WebSocket viewer is connected. */
  idleSeconds(): number {
    // A starting rendition has a viewer waiting on it (a cold playlist request counts only when answered).
    if (this.wsViewers > 0 || this.supervisor.state === "starting") return 0;
    return (this.clock.now() - this.lastUse) / 1000;
  }

  /** The camera record changed: restart with the new source if it is running. */
  update(camera: Camera): void {
    const sourceChanged =
      JSON.stringify(camera.source) !== JSON.stringify(this.camera.source) ||
      camera.audio !== this.camera.audio;
    this.camera = camera;
    if (sourceChanged) {
      // Another source may have another codec and size: a master playlist waits for it rather than guess.
      this.facts = undefined;
      this.transcode = needsTranscode(camera.source.kind, camera.videoCodec);
      this.supervisor.restart("camera settings changed");
    }
  }

  /** Its source is there again (a push began): a rendition waiting in backoff starts at once. */
  sourceBack(): void {
    if (this.supervisor.state === "backoff") this.supervisor.start("its source is back");
  }

  stop(reason?: string): Promise<void> {
    return this.supervisor.stop(reason);
  }

  /** Frames per second over the last 5 s, to one decimal; 0 when nothing arrived. */
  fps(): number {
    const recent = this.stream.recent(5000);
    return Math.round((recent.samples / recent.seconds) * 10) / 10;
  }

  health(): RenditionHealth {
    const s = this.supervisor.health();
    const recent = this.stream.recent(5000);
    const init = this.stream.current;
    return {
      ...s,
      cameraId: this.camera.id,
      rendition: this.name,
      codecs: init?.codecs,
      width: init?.width,
      height: init?.height,
      fps: this.fps(),
      bitrate: Math.round((recent.bytes * 8) / recent.seconds),
      lastFragmentAgeMs: s.lastFragmentAt === undefined ? undefined : this.clock.now() - s.lastFragmentAt,
      viewers: this.viewers(),
      transcoding: this.transcode,
      memoryBytes: this.stream.memoryBytes,
    };
  }
}

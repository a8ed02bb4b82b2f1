/**
 * WebSocket fMP4 into Media Source Extensions: the sub-second path. The gateway sends a JSON header, the
 * init segment, the GOP cache and live fragments; SourceBuffer "sequence" mode lays fragments end to end,
 * so a camera restart (timestamps from zero) or a skipped GOP needs no timestamp arithmetic here.
 */
export interface MsePlayerEvents {
  onStatus(code: string | undefined): void;
  onClosed(code: number, reason: string): void;
}

/**
 * How far behind the newest buffered frame playback aims to be (seconds). Frames arrive one by one (a
 * fragment per frame), so two frames of slack absorb the jitter without stalling.
 */
const targetLag = 0.08;
const jumpLag = 1.5;

export class MsePlayer {
  private ws: WebSocket | undefined;
  private ms: MediaSource | undefined;
  private sb: SourceBuffer | undefined;
  private queue: ArrayBuffer[] = [];
  private codecs = "";
  private timer: number | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: MsePlayerEvents,
  ) {}

  static supported(): boolean {
    return typeof MediaSource !== "undefined";
  }

  play(wsUrl: string): void {
    this.stop();
    const url = new URL(wsUrl, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
      if (typeof ev.data === "string") {
        const header = JSON.parse(ev.data) as { type: string; codecs: string };
        if (header.type === "init") this.setup(header.codecs);
      } else {
        this.queue.push(ev.data);
        this.pump();
      }
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.events.onClosed(ev.code, ev.reason);
    };
    this.timer = window.setInterval(() => {
      this.followLiveEdge();
    }, 100);
  }

  stop(): void {
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
    this.ws = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.sb = undefined;
    this.ms = undefined;
    this.codecs = "";
  }

  private setup(codecs: string): void {
    const type = `video/mp4; codecs="${codecs}"`;
    if (!MediaSource.isTypeSupported(type)) {
      this.events.onStatus("unsupported");
      return;
    }
    if (this.sb && this.codecs === codecs) return;
    if (this.sb && "changeType" in this.sb) {
      this.sb.changeType(type);
      this.codecs = codecs;
      return;
    }
    this.codecs = codecs;
    this.queue = [];
    const ms = new MediaSource();
    this.ms = ms;
    this.video.src = URL.createObjectURL(ms);
    ms.addEventListener("sourceopen", () => {
      if (this.ms !== ms) return;
      const sb = ms.addSourceBuffer(type);
      sb.mode = "sequence";
      sb.addEventListener("updateend", () => {
        this.pump();
      });
      this.sb = sb;
      this.pump();
    });
  }

  private pump(): void {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0) return;
    const next = this.queue.shift() as ArrayBuffer;
    try {
      sb.appendBuffer(next);
    } catch (err) {
      if ((err as DOMException).name === "QuotaExceededError") {
        this.queue.unshift(next);
        this.trim(true);
      } else {
        throw err;
      }
    }
  }

  /** Stay near the newest frame: jump when far behind, play slightly faster when a little behind. */
  private followLiveEdge(): void {
    const v = this.video;
    const b = v.buffered;
    if (b.length === 0) return;
    const end = b.end(b.length - 1);
    const lag = end - v.currentTime;
    if (lag > jumpLag || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - targetLag);
    }
    v.playbackRate = lag > targetLag + 0.12 ? 1.15 : lag > targetLag + 0.04 ? 1.05 : 1;
    if (v.paused) void v.play().catch(() => undefined);
    this.trim(false);
  }

  private trim(force: boolean): void {
    const sb = this.sb;
    if (!sb || sb.updating || sb.buffered.length === 0) return;
    const keepFrom = this.video.currentTime - (force ? 2 : 10);
    if (sb.buffered.start(0) < keepFrom - 5 || (force && sb.buffered.start(0) < keepFrom))
      sb.remove(0, keepFrom);
  }
}

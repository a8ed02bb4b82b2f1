// A load-generator process of WebSocket viewers (the /live/<token>/ws MSE stream a browser plays): each
// counts fragments, frames, bytes and skipped fragments (gaps in mfhd sequence numbers), driven over IPC
// (ws-viewer-protocol.ts). Run by fork() from bench/lib/ws-viewers.ts, never on its own.
import WebSocket from "ws";
import type { FromWsWorker, ToWsWorker, WsViewerWindow } from "./ws-viewer-protocol.js";

const send = (m: FromWsWorker) => process.send?.(m);

/** mfhd sequence number and trun sample count of a fragment message (styp? moof mdat), or undefined. */
export function readFragment(data: Buffer): { sequence: number; frames: number } | undefined {
  let p = 0;
  while (p + 8 <= data.length) {
    const size = data.readUInt32BE(p);
    const type = data.toString("latin1", p + 4, p + 8);
    if (size < 8 || p + size > data.length) return undefined;
    if (type === "moof") {
      let sequence: number | undefined;
      let frames = 0;
      // ISO/IEC 14496-12 §8.8.5 mfhd: version+flags, sequence_number; §8.8.8 trun: version+flags, sample_count.
      for (let c = p + 8; c + 8 <= p + size;) {
        const cSize = data.readUInt32BE(c);
        const cType = data.toString("latin1", c + 4, c + 8);
        if (cSize < 8) return undefined;
        if (cType === "mfhd") sequence = data.readUInt32BE(c + 12);
        else if (cType === "traf")
          for (let t = c + 8; t + 8 <= c + cSize;) {
            const tSize = data.readUInt32BE(t);
            if (tSize < 8) return undefined;
            if (data.toString("latin1", t + 4, t + 8) === "trun") frames += data.readUInt32BE(t + 12);
            t += tSize;
          }
        c += cSize;
      }
      return sequence === undefined ? undefined : { sequence, frames };
    }
    p += size;
  }
  return undefined;
}

class Viewer {
  private readonly ws: WebSocket;
  fragments = 0;
  frames = 0;
  bytes = 0;
  missed = 0;
  closeCode: number | undefined;
  lastSequence: number | undefined;

  constructor(
    url: string,
    readonly group: string,
    onStarted: (ok: boolean, error?: string) => void,
  ) {
    let started = false;
    const report = (ok: boolean, error?: string) => {
      if (started) return;
      started = true;
      onStarted(ok, error);
    };
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) return;
      const f = readFragment(data);
      if (!f) return; // the init segment
      report(true);
      if (!windowOpen) {
        this.lastSequence = f.sequence;
        return;
      }
      // A sequence number that goes back is a new init (the rendition restarted): no gap to count.
      if (this.lastSequence !== undefined && f.sequence > this.lastSequence + 1)
        this.missed += f.sequence - this.lastSequence - 1;
      this.lastSequence = f.sequence;
      this.fragments++;
      this.frames += f.frames;
      this.bytes += data.length;
    });
    this.ws.on("error", (err) => {
      report(false, err.message);
    });
    this.ws.on("close", (code, reason) => {
      this.closeCode = code;
      report(false, `closed ${String(code)} ${reason.toString()}`);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  reset(): void {
    this.fragments = this.frames = this.bytes = this.missed = 0;
  }

  stop(): void {
    this.ws.terminate();
  }
}

const viewers: Viewer[] = [];
let windowOpen = false;

process.on("message", (m: ToWsWorker) => {
  switch (m.type) {
    case "add": {
      let ok = 0;
      let failed = 0;
      const errors: string[] = [];
      const n = m.viewers.length;
      if (n === 0) send({ type: "added", ok, failed, errors });
      m.viewers.forEach((v, i) => {
        setTimeout(
          () => {
            viewers.push(
              new Viewer(v.url, v.group, (good, error) => {
                if (good) ok++;
                else {
                  failed++;
                  if (errors.length < 5 && error !== undefined) errors.push(error);
                }
                if (ok + failed === n) send({ type: "added", ok, failed, errors });
              }),
            );
          },
          (i * m.rampMs) / n,
        );
      });
      break;
    }
    case "open":
      for (const v of viewers) v.reset();
      windowOpen = true;
      break;
    case "close": {
      windowOpen = false;
      const out: WsViewerWindow[] = viewers.map((v) => ({
        group: v.group,
        fragments: v.fragments,
        frames: v.frames,
        bytes: v.bytes,
        missed: v.missed,
        open: v.open,
        closeCode: v.closeCode,
        lastSequence: v.lastSequence,
      }));
      send({ type: "stats", viewers: out });
      break;
    }
    case "stop":
      for (const v of viewers) v.stop();
      setTimeout(() => process.exit(0), 50).unref();
      break;
  }
});
process.on("disconnect", () => process.exit(0));

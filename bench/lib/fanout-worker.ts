// A load-generator process for bench:fanout: many simulated viewers on cheap keep-alive sockets, driven by
// the bench over IPC (fanout-protocol.ts). Run by fork() from bench/fanout.ts, never on its own.
import type { FromWorker, ToWorker, ViewerMode, WindowStats } from "./fanout-protocol.js";
import { nowMs, RawHttpConnection } from "./raw-http.js";

const send = (m: FromWorker) => process.send?.(m);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let mode: ViewerMode = "llhls";
let host = "127.0.0.1";
let port = 0;
let base = "/";
let pollMs = 1000;
let stopped = false;
/** Window state: receipts are recorded only while it is open. */
let windowOpen = false;
/** Earliest time this process saw each part (or segment) listed in a playlist. */
const adverts = new Map<number, number>();
const receiptSeq: number[] = [];
const receiptAt: number[] = [];
let bytes = 0;
let playlistRequests = 0;
let errorKinds: Record<string, number> = {};
const viewers: Viewer[] = [];

const advertise = (seq: number, at: number) => {
  const prev = adverts.get(seq);
  if (prev === undefined || at < prev) adverts.set(seq, at);
};

interface Listed {
  seq: number;
  independent: boolean;
  uri: string;
}

/**
 * The parts of a Pantau LL-HLS playlist newer than `after`, and the position (msn, index) of the last one,
 * in one pass with indexOf: no line array, no regex per line (the gateway writes `URI="part/<n>.m4s"`).
 */
function parseLlHls(
  text: string,
  after: number | undefined,
): { fresh: Listed[]; lastMsn: number; lastIndex: number } {
  const msMatch = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  let msn = Number(msMatch?.[1] ?? 0);
  let index = 0;
  let lastMsn = -1;
  let lastIndex = -1;
  const fresh: Listed[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = text.length;
    if (text.startsWith("#EXT-X-PART:", pos)) {
      const u = text.indexOf('URI="', pos) + 5;
      const q = text.indexOf('"', u);
      const uri = text.slice(u, q);
      const seq = Number(uri.slice(uri.lastIndexOf("/") + 1, uri.lastIndexOf(".")));
      if (after === undefined || seq > after) {
        const ind = text.indexOf("INDEPENDENT=YES", pos);
        fresh.push({ seq, uri, independent: ind >= 0 && ind < nl });
      }
      lastMsn = msn;
      lastIndex = index++;
    } else if (text.startsWith("#EXTINF:", pos)) {
      // Parts precede their segment's EXTINF; what follows belongs to the next segment.
      msn++;
      index = 0;
    }
    pos = nl + 1;
  }
  return { fresh, lastMsn, lastIndex };
}

/** The segments of a plain (ffmpeg) HLS playlist newer than `after`, numbered by media sequence. */
function parsePlain(text: string, after: number | undefined): Listed[] {
  let seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  const out: Listed[] = [];
  let pos = 0;
  let expectUri = false;
  while (pos < text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl < 0) nl = text.length;
    if (text.startsWith("#EXTINF:", pos)) expectUri = true;
    else if (expectUri && text.charCodeAt(pos) !== 35 /* # */ && nl > pos) {
      if (after === undefined || seq > after) out.push({ seq, uri: text.slice(pos, nl), independent: true });
      seq++;
      expectUri = false;
    }
    pos = nl + 1;
  }
  return out;
}

class Viewer {
  private readonly conn = new RawHttpConnection(host, port, "Connection: keep-alive\r\n");
  private lastSeq: number | undefined;
  private next: { msn: number; part: number } | undefined;
  // Window counters.
  missed = 0;
  errors = 0;
  /** Connection failures: the viewer lost its socket (an HTTP error status is only counted in `errors`). */
  dropped = 0;
  received = 0;

  constructor(private readonly phaseMs: number) {}

  async run(onStarted: (ok: boolean) => void): Promise<void> {
    let reported = false;
    const report = (ok: boolean) => {
      if (!reported) {
        reported = true;
        onStarted(ok);
      }
    };
    let failures = 0;
    while (!stopped) {
      const pollStart = nowMs();
      const ok = await (mode === "llhls" ? this.llhlsRound() : this.pollRound());
      if (ok) {
        failures = 0;
        report(true);
      } else if (++failures >= 20) report(false);
      if (!ok) await sleep(200);
      else if (mode === "poll") {
        // Poll at the target duration, on this viewer's own phase, as a player's reload timer would.
        const wait = pollMs - (nowMs() - pollStart);
        await sleep(Math.max(0, wait));
      }
    }
    this.conn.close();
  }

  async start(onStarted: (ok: boolean) => void): Promise<void> {
    await sleep(this.phaseMs);
    await this.run(onStarted);
  }

  stop(): void {
    this.conn.close();
  }

  private error(kind: string, dropped = false): void {
    if (!windowOpen) return;
    this.errors++;
    if (dropped) this.dropped++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  }

  private async fetchPlaylist(path: string): Promise<{ text: string; at: number } | undefined> {
    let r;
    try {
      r = await this.conn.get(path, true);
    } catch (err) {
      this.error(`playlist: ${err instanceof Error ? err.message : String(err)}`, true);
      return undefined;
    }
    playlistRequests++;
    if (r.status !== 200) {
      if (process.env.BENCH_VERBOSE === "1")
        process.stderr.write(`[viewer] ${path}: ${String(r.status)} ${r.body?.toString() ?? ""}\n`);
      this.error(`playlist ${String(r.status)}`);
      return undefined;
    }
    return { text: r.body!.toString("latin1"), at: r.at };
  }

  /** Fetches the listed items in order, counting gaps and failures as missed parts. */
  private async fetchItems(items: readonly Listed[], dir: string): Promise<boolean> {
    for (const p of items) {
      if (this.lastSeq !== undefined && p.seq > this.lastSeq + 1 && windowOpen)
        this.missed += p.seq - this.lastSeq - 1;
      let r;
      try {
        r = await this.conn.get(dir + p.uri, false);
      } catch (err) {
        this.error(`media: ${err instanceof Error ? err.message : String(err)}`, true);
        if (windowOpen) this.missed++;
        this.lastSeq = p.seq;
        return false;
      }
      if (r.status !== 200) {
        this.error(`media ${String(r.status)}`);
        if (windowOpen) this.missed++;
      } else if (windowOpen) {
        this.received++;
        bytes += r.contentLength;
        receiptSeq.push(p.seq);
        receiptAt.push(r.at);
      }
      this.lastSeq = p.seq;
    }
    return true;
  }

  private async llhlsRound(): Promise<boolean> {
    const q = this.next ? `?_HLS_msn=${String(this.next.msn)}&_HLS_part=${String(this.next.part)}` : "";
    const dir = base;
    const pl = await this.fetchPlaylist(`${dir}index.m3u8${q}`);
    if (!pl) {
      // Resynchronise from a plain reload after a refusal (400 too far ahead, 503 stalled, 403 expired).
      this.next = undefined;
      return false;
    }
    const { fresh, lastMsn, lastIndex } = parseLlHls(pl.text, this.lastSeq);
    for (const p of fresh) advertise(p.seq, pl.at);
    // Join at the last independent part, as a player does; from then on, every part.
    const from =
      this.lastSeq === undefined
        ? Math.max(
            0,
            fresh.findLastIndex((p) => p.independent),
          )
        : 0;
    const ok = await this.fetchItems(from === 0 ? fresh : fresh.slice(from), dir);
    if (lastMsn >= 0) this.next = { msn: lastMsn, part: lastIndex + 1 };
    return ok;
  }

  private async pollRound(): Promise<boolean> {
    const dir = base;
    const pl = await this.fetchPlaylist(`${dir}index.m3u8`);
    if (!pl) return false;
    const fresh = parsePlain(pl.text, this.lastSeq);
    for (const p of fresh) advertise(p.seq, pl.at);
    // Join at the newest segment.
    return this.fetchItems(this.lastSeq === undefined ? fresh.slice(-1) : fresh, dir);
  }
}

function stats(global: Map<number, number>): WindowStats {
  const hist = new Map<number, number>();
  let unmatched = 0;
  for (let i = 0; i < receiptSeq.length; i++) {
    const t0 = global.get(receiptSeq[i]!);
    if (t0 === undefined) {
      unmatched++;
      continue;
    }
    const bin = Math.max(0, Math.floor(receiptAt[i]! - t0));
    hist.set(bin, (hist.get(bin) ?? 0) + 1);
  }
  let held = 0;
  let missed = 0;
  let viewersMissing = 0;
  let errors = 0;
  let received = 0;
  for (const v of viewers) {
    if (v.missed === 0 && v.dropped === 0 && v.received > 0) held++;
    if (v.missed > 0) viewersMissing++;
    missed += v.missed;
    errors += v.errors;
    received += v.received;
  }
  return {
    viewers: viewers.length,
    held,
    missed,
    viewersMissing,
    errors,
    errorKinds: { ...errorKinds },
    received,
    bytes,
    histogram: [...hist],
    unmatched,
    playlistRequests,
  };
}

process.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "config":
      ({ mode, host, port, base, pollMs } = m);
      break;
    case "add": {
      let ok = 0;
      let failed = 0;
      const onStarted = (good: boolean) => {
        if (good) ok++;
        else failed++;
        if (ok + failed === m.count) send({ type: "added", ok, failed });
      };
      if (m.count === 0) send({ type: "added", ok: 0, failed: 0 });
      for (let i = 0; i < m.count; i++) {
        // Poll viewers also spread their reload phase over one target duration.
        const phase = (i * m.rampMs) / m.count + (mode === "poll" ? Math.random() * pollMs : 0);
        const v = new Viewer(phase);
        viewers.push(v);
        void v.start(onStarted);
      }
      break;
    }
    case "base":
      base = m.base;
      break;
    case "open":
      for (const v of viewers) {
        v.missed = 0;
        v.errors = 0;
        v.dropped = 0;
        v.received = 0;
      }
      receiptSeq.length = 0;
      receiptAt.length = 0;
      bytes = 0;
      playlistRequests = 0;
      errorKinds = {};
      // Keep only recent adverts: a part advertised just before the window may be received inside it.
      for (const [seq, at] of adverts) if (at < nowMs() - 30_000) adverts.delete(seq);
      windowOpen = true;
      break;
    case "close": {
      windowOpen = false;
      const seqs = new Set(receiptSeq);
      send({ type: "adverts", adverts: [...adverts].filter(([seq]) => seqs.has(seq)) });
      break;
    }
    case "delays":
      send({ type: "stats", stats: stats(new Map(m.adverts)) });
      break;
    case "stop":
      stopped = true;
      for (const v of viewers) v.stop();
      setTimeout(() => process.exit(0), 50).unref();
      break;
  }
});
process.on("disconnect", () => process.exit(0));

// A load-generator process for bench:auth: `connections` keep-alive sockets, each sending the next GET as
// soon as the previous answer is complete (closed loop), driven by bench/auth.ts over IPC. Run by fork().
import { nowMs, RawHttpConnection } from "./raw-http.js";

export type ToAuthWorker =
  | { type: "run"; host: string; port: number; path: string; connections: number; seconds: number }
  /** The part to ask for from now on (the gateway keeps a part only while it is in its window). */
  | { type: "path"; path: string };

export interface AuthWorkerResult {
  type: "result";
  requests: number;
  bytes: number;
  /** Answers other than 200, by status (or connection error message). */
  failures: Record<string, number>;
  /** Latency histogram in 10 µs bins: [bin, count]. */
  histogram: [number, number][];
  seconds: number;
}

let path = "/";

async function loop(conn: RawHttpConnection, end: number, r: AuthWorkerResult, hist: Map<number, number>) {
  while (nowMs() < end) {
    const t0 = nowMs();
    try {
      const res = await conn.get(path, false);
      const bin = Math.floor((res.at - t0) * 100);
      hist.set(bin, (hist.get(bin) ?? 0) + 1);
      if (res.status === 200) {
        r.requests++;
        r.bytes += res.contentLength;
      } else r.failures[String(res.status)] = (r.failures[String(res.status)] ?? 0) + 1;
    } catch (err) {
      const k = err instanceof Error ? err.message : String(err);
      r.failures[k] = (r.failures[k] ?? 0) + 1;
    }
  }
  conn.close();
}

process.on("message", (m: ToAuthWorker) => {
  if (m.type === "path") {
    path = m.path;
    return;
  }
  path = m.path;
  const r: AuthWorkerResult = {
    type: "result",
    requests: 0,
    bytes: 0,
    failures: {},
    histogram: [],
    seconds: 0,
  };
  const hist = new Map<number, number>();
  const start = nowMs();
  const end = start + m.seconds * 1000;
  const conns = Array.from({ length: m.connections }, () => new RawHttpConnection(m.host, m.port));
  void Promise.all(conns.map((c) => loop(c, end, r, hist))).then(() => {
    r.seconds = (nowMs() - start) / 1000;
    r.histogram = [...hist];
    process.send?.(r);
  });
});
process.on("disconnect", () => process.exit(0));

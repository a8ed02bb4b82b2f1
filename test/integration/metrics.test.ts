import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { exited, isRunning, killOnExit } from "../helpers/ready-process.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// GET /metrics on a real gateway, with the GStreamer test camera watched over a real WebSocket so the
// counters move: the exposition parsed strictly, names, types, labels and values checked, who may scrape,
// and a real Prometheus (Debian's) that scrapes it and stores the series.

const token = "metrics-token-for-the-test-0123456789";
const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

// --- A strict parser of the Prometheus text format 0.0.4 ---------------------------------------------------
// (https://prometheus.io/docs/instrumenting/exposition_formats/): anything it does not understand throws.

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const suffixes: Record<string, readonly string[]> = {
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["_sum", "_count", ""],
};

function parseValue(raw: string, line: string): number {
  if (raw === "+Inf") return Infinity;
  if (raw === "-Inf") return -Infinity;
  // prom-client writes NaN as "Nan" (lib/util.js); Prometheus reads floats with Go's strconv.ParseFloat,
  // which takes NaN in any case, so does this parser (and only NaN).
  if (/^nan$/i.test(raw)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value in: ${line}`);
  return Number(raw);
}

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after "{"
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    const name = text.slice(i, eq);
    if (eq < 0 || !labelName.test(name) || text[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text.charAt(j) !== '"'; j++) {
      if (text.charAt(j) !== "\\") {
        value += text.charAt(j);
        continue;
      }
      const next = text.charAt(++j);
      if (next === "n") value += "\n";
      else if (next === "\\" || next === '"') value += next;
      else throw new Error(`bad escape in: ${line}`);
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`expected , or } in: ${line}`);
  }
}

function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a newline");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const familyOf = (sample: string): Family | undefined => {
    const exact = families.get(sample);
    if (exact && (suffixes[exact.type] ?? [""]).includes("")) return exact;
    for (const [name, f] of families)
      for (const s of suffixes[f.type] ?? []) if (s !== "" && sample === name + s) return f;
    return undefined;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = "", rest = ""] = meta;
      if (!metricName.test(name)) throw new Error(`bad metric name in: ${line}`);
      const f = families.get(name);
      if (kind === "TYPE") {
        if (!types.has(rest)) throw new Error(`bad type in: ${line}`);
        if (f?.type !== undefined && f.samples.length > 0) throw new Error(`TYPE after samples: ${line}`);
        families.set(name, { type: rest, help: f?.help, samples: f?.samples ?? [] });
      } else {
        families.set(name, { type: f?.type ?? "untyped", help: rest, samples: f?.samples ?? [] });
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const [, name = "", labelText, raw = ""] = m;
    const { labels, rest } = labelText ? parseLabels(labelText, line) : { labels: {}, rest: "" };
    if (rest !== "") throw new Error(`text after labels in: ${line}`);
    const family = familyOf(name);
    if (!family) throw new Error(`sample without a TYPE: ${line}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(raw, line) });
  }
  return families;
}

// --- The gateway, the camera and a viewer -------------------------------------------------------------------

let camera: TestCamera;
let gw: TestGateway;
let schoolId: string;
let liveId: string;
let pausedId: string;
let disabledId: string;
let viewer: WebSocket;
let binaryMessages = 0;

const scrape = async (headers: Record<string, string> = {}) => {
  const res = await fetch(`${gw.url}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get("content-type") };
};
const families = async () => {
  const r = await scrape();
  expect(r.status, r.text).toBe(200);
  return parseExposition(r.text);
};
const family = (fs: Map<string, Family>, name: string): Family => {
  const f = fs.get(name);
  if (!f) throw new Error(`no metric ${name}`);
  return f;
};
const valueOf = (fs: Map<string, Family>, name: string, labels: Record<string, string>) =>
  family(fs, name).samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

beforeAll(async () => {
  camera = await startTestCamera();
  // trustProxy: a test can be a client "elsewhere" by the proxy header the gateway trusts from loopback.
  gw = await startTestGateway({
    http: { trustProxy: true },
    metrics: { token },
    streaming: { stallSeconds: 3 },
    // pantau_camera_up follows the health monitor's state, debounced: short here so a dead camera is down soon.
    health: { probeSeconds: 0.5, probeTimeoutSeconds: 2, offlineAfterSeconds: 1, recoverAfterSeconds: 0.5 },
  });
  ({ id: schoolId } = (await gw.admin.expect(201, "POST", "/api/schools", {
    name: "SD Negeri 1 Contoh",
  })) as {
    id: string;
  });
  const room = (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
    name: "Kelas 1B",
  })) as { id: string };
  const source = { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") };
  ({ id: liveId } = await gw.addCamera({ schoolId, name: "Kelas 1A depan", source }));
  ({ id: pausedId } = await gw.addCamera({ schoolId, classroomId: room.id, name: "Kelas 1B", source }));
  ({ id: disabledId } = await gw.addCamera({ schoolId, name: "Gudang", source, enabled: false }));
  await gw.admin.expect(200, "POST", `/api/classrooms/${room.id}/pause`, {});

  const w = await gw.watch(liveId);
  viewer = new WebSocket(w.ws);
  viewer.on("message", (_data, isBinary) => {
    if (isBinary) binaryMessages++;
  });
  await waitFor("video over the WebSocket", () => binaryMessages >= 10);
});

afterAll(async () => {
  viewer.close();
  await gw.close();
  await camera.stop();
});

describe("GET /metrics", () => {
  it("is read by a parser that refuses what Prometheus would not take", () => {
    const ok =
      '# TYPE a_total counter\na_total{x="q\\"\\n"} 1\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\n';
    expect(family(parseExposition(ok), "a_total").samples[0]?.labels).toEqual({
      x: 'q"\n',
    });
    expect(family(parseExposition(ok), "h").samples).toHaveLength(2);
    for (const bad of [
      "a 1\n", // no TYPE
      "# TYPE a gauge\na 1\na 2\n", // the same series twice
      '# TYPE a gauge\na{x="\\q"} 1\n', // an unknown escape
      "# TYPE a gauge\na one\n", // not a number
      '# TYPE a gauge\na{x="1",x="2"} 1\n', // a label twice
      "# TYPE a gauge\na 1", // no final newline
    ])
      expect(() => parseExposition(bad), bad).toThrow();
  });

  it("exposes the camera, viewer, build, HTTP and process metrics with their types", async () => {
    const fs = await families();
    const expected: Record<string, string> = {
      pantau_camera_up: "gauge",
      pantau_camera_state: "gauge",
      pantau_camera_info: "gauge",
      pantau_camera_last_frame_timestamp_seconds: "gauge",
      pantau_camera_reconnects_total: "counter",
      pantau_camera_ingest_bytes_total: "counter",
      pantau_viewers: "gauge",
      pantau_build_info: "gauge",
      pantau_http_request_duration_seconds: "histogram",
      pantau_process_cpu_seconds_total: "counter",
      pantau_process_resident_memory_bytes: "gauge",
      pantau_nodejs_eventloop_lag_seconds: "gauge",
    };
    for (const [name, type] of Object.entries(expected)) expect(family(fs, name).type, name).toBe(type);
    // Every family is Pantau's, and no label names a viewer, a session or a token.
    for (const [name, f] of fs) {
      expect(name).toMatch(/^pantau_/);
      for (const s of f.samples)
        for (const label of Object.keys(s.labels)) expect(label).not.toMatch(/session|viewer|token|sid|ip/i);
    }
    expect(family(fs, "pantau_build_info").samples).toEqual([
      { name: "pantau_build_info", labels: { version }, value: 1 },
    ]);
    expect(valueOf(fs, "pantau_camera_info", { camera: liveId })).toBe(1);
    expect(family(fs, "pantau_camera_info").samples.find((s) => s.labels.camera === liveId)?.labels).toEqual({
      school: schoolId,
      camera: liveId,
      school_name: "SD Negeri 1 Contoh",
      camera_name: "Kelas 1A depan",
    });
  });

  it("has one state series per state for every camera, summing to 1, and up for the live one", async () => {
    const fs = await waitFor("the watched camera online", async () => {
      const f = await families();
      return valueOf(f, "pantau_camera_state", { camera: liveId, state: "online" }) === 1 ? f : undefined;
    });
    const states = ["online", "degraded", "offline", "paused", "disabled", "unknown"];
    const expectedState = { [liveId]: "online", [pausedId]: "paused", [disabledId]: "disabled" };
    for (const [id, state] of Object.entries(expectedState)) {
      const series = family(fs, "pantau_camera_state").samples.filter((s) => s.labels.camera === id);
      expect(series.map((s) => s.labels.state).sort()).toEqual([...states].sort());
      expect(series.reduce((sum, s) => sum + s.value, 0)).toBe(1);
      expect(series.find((s) => s.value === 1)?.labels).toEqual({ school: schoolId, camera: id, state });
      expect(valueOf(fs, "pantau_camera_up", { camera: id })).toBe(state === "online" ? 1 : 0);
    }
    const lastFrame = valueOf(fs, "pantau_camera_last_frame_timestamp_seconds", { camera: liveId }) ?? 0;
    expect(Math.abs(Date.now() / 1000 - lastFrame)).toBeLessThan(30);
    // Never started: no last frame, zero counters, zero viewers.
    expect(valueOf(fs, "pantau_camera_last_frame_timestamp_seconds", { camera: disabledId })).toBeUndefined();
    expect(valueOf(fs, "pantau_camera_ingest_bytes_total", { camera: pausedId })).toBe(0);
    expect(valueOf(fs, "pantau_viewers", { camera: pausedId, protocol: "ws" })).toBe(0);
  });

  it("counts the WebSocket viewer and ingest bytes that grow between scrapes", async () => {
    const first = await families();
    expect(valueOf(first, "pantau_viewers", { camera: liveId, protocol: "ws" })).toBe(1);
    // POST /api/watch warms the rendition and counts its session as an LL-HLS viewer for up to 10 s
    // (StreamManager.warm), whichever protocol the page then picks: at most that one.
    expect(valueOf(first, "pantau_viewers", { camera: liveId, protocol: "hls" })).toBeLessThanOrEqual(1);
    expect(valueOf(first, "pantau_camera_reconnects_total", { camera: liveId })).toBe(0);
    const before = valueOf(first, "pantau_camera_ingest_bytes_total", { camera: liveId }) ?? 0;
    expect(before).toBeGreaterThan(0);
    const later = await waitFor("more ingest bytes", async () => {
      const v = valueOf(await families(), "pantau_camera_ingest_bytes_total", { camera: liveId }) ?? 0;
      return v > before ? v : undefined;
    });
    expect(later).toBeGreaterThan(before);
  });

  it("counts a reconnect when the camera dies, keeps the totals, and is up again once it is back", async () => {
    const before = await families();
    const bytes = valueOf(before, "pantau_camera_ingest_bytes_total", { camera: liveId }) ?? 0;
    await camera.kill();
    const down = await waitFor(
      "a reconnect attempt while the camera is dead",
      async () => {
        const f = await families();
        return (valueOf(f, "pantau_camera_reconnects_total", { camera: liveId }) ?? 0) >= 1 ? f : undefined;
      },
      30_000,
    );
    // Down once the health monitor's debounce has passed (it is debounced, the reconnect counter is not).
    await waitFor("pantau_camera_up 0", async () =>
      valueOf(await families(), "pantau_camera_up", { camera: liveId }) === 0 ? true : undefined,
    );
    expect(valueOf(down, "pantau_camera_ingest_bytes_total", { camera: liveId })).toBeGreaterThanOrEqual(
      bytes,
    );
    await camera.restart();
    const back = await waitFor(
      "the camera up again",
      async () => {
        const f = await families();
        return valueOf(f, "pantau_camera_up", { camera: liveId }) === 1 ? f : undefined;
      },
      30_000,
    );
    expect(valueOf(back, "pantau_camera_reconnects_total", { camera: liveId })).toBeGreaterThanOrEqual(1);
    expect(valueOf(back, "pantau_camera_ingest_bytes_total", { camera: liveId })).toBeGreaterThan(bytes);
    expect(valueOf(back, "pantau_viewers", { camera: liveId, protocol: "ws" })).toBe(1);
  });

  it("labels HTTP durations by route pattern: no id or token in any label", async () => {
    const w = await gw.watch(liveId);
    await gw.admin.expect(200, "GET", `/api/cameras/${liveId}`);
    expect((await fetch(`${gw.url}/a/not-a-real-link-token-0123456789`)).status).toBeGreaterThanOrEqual(200);
    expect((await fetch(`${gw.url}/no/such/path/${w.token}`)).status).toBe(404);
    const fs = await families();
    const samples = family(fs, "pantau_http_request_duration_seconds").samples;
    const routes = new Set(samples.map((s) => s.labels.route));
    expect(routes).toContain("/api/cameras/:id");
    expect(routes).toContain("/api/watch/:cameraId");
    expect(routes).toContain("/a/:linkToken");
    expect(routes).toContain("unmatched");
    const count = (route: string, method: string, status: string) =>
      samples.find(
        (s) =>
          s.name.endsWith("_count") &&
          s.labels.route === route &&
          s.labels.method === method &&
          s.labels.status === status,
      )?.value;
    expect(count("/api/cameras/:id", "GET", "200")).toBeGreaterThanOrEqual(1);
    expect(count("unmatched", "GET", "404")).toBeGreaterThanOrEqual(1);
    const secrets = [liveId, pausedId, disabledId, schoolId, w.token, "not-a-real-link-token"];
    for (const s of samples)
      for (const v of Object.values(s.labels)) for (const secret of secrets) expect(v).not.toContain(secret);
  });

  it("is open to this machine, and asks any other for the bearer token", async () => {
    const local = await scrape();
    expect(local.status).toBe(200);
    expect(local.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    // Through the trusted proxy, from an address elsewhere.
    const elsewhere = { "x-forwarded-for": "203.0.113.7" };
    const refused = await fetch(`${gw.url}/metrics`, { headers: elsewhere });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect((await scrape({ ...elsewhere, authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await scrape({ ...elsewhere, authorization: `Basic ${token}` })).status).toBe(401);
    expect((await scrape({ ...elsewhere, authorization: token })).status).toBe(401);
    const allowed = await scrape({ ...elsewhere, authorization: `Bearer ${token}` });
    expect(allowed.status).toBe(200);
    expect(parseExposition(allowed.text).has("pantau_camera_up")).toBe(true);
    // The proxy says the client is on this machine too: that is loopback.
    expect((await scrape({ "x-forwarded-for": "127.0.0.1" })).status).toBe(200);
    // A proxy header the gateway does not read for the address still means the client is elsewhere.
    expect((await scrape({ "x-real-ip": "203.0.113.7" })).status).toBe(401);
    expect((await scrape({ forwarded: "for=203.0.113.7" })).status).toBe(401);
  });

  it("without a token, refuses every other machine, proxied ones included", async () => {
    const plain = await startTestGateway({});
    try {
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(200);
      // No trustProxy: a loopback connection that carries proxy headers came from somewhere else.
      const proxied: Record<string, string>[] = [
        { "x-forwarded-for": "203.0.113.7" },
        { forwarded: "for=203.0.113.7" },
        { "x-real-ip": "203.0.113.7" },
        { "x-forwarded-for": "203.0.113.7", authorization: "Bearer anything-at-all-0123456789" },
      ];
      for (const headers of proxied) {
        const res = await fetch(`${plain.url}/metrics`, { headers });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("metrics_local_only");
      }
    } finally {
      await plain.close();
    }
  });
});

// --- A real Prometheus ----------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("a real Prometheus scraping the gateway", () => {
  let prometheus: ChildProcess | undefined;
  let dir: string | undefined;
  let stderr = "";

  afterAll(async () => {
    if (prometheus && isRunning(prometheus)) {
      prometheus.kill("SIGTERM");
      const killer = setTimeout(() => prometheus?.kill("SIGKILL"), 10_000);
      await exited(prometheus);
      clearTimeout(killer);
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("stores pantau_camera_up and loads the shipped rules", async () => {
    dir = mkdtempSync(join(tmpdir(), "pantau-prometheus-"));
    const rules = new URL("../../config/prometheus/pantau-rules.yml", import.meta.url).pathname;
    const target = new URL(gw.url).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: {scrape_interval: 1s, evaluation_interval: 1s}",
        `rule_files: ["${rules}"]`,
        "scrape_configs:",
        "  - job_name: pantau",
        `    static_configs: [{targets: ["${target}"]}]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    const api = `http://127.0.0.1:${String(port)}`;
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${String(port)}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    killOnExit(prometheus);
    prometheus.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr = (stderr + t).slice(-8000)));
    const spawnError = new Promise<never>((_resolve, reject) =>
      prometheus?.once("error", (err) =>
        reject(new Error(`prometheus did not start (scripts/setup test installs it): ${err.message}`)),
      ),
    );
    const query = async (q: string) => {
      const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (res?.status !== 200) return undefined;
      return (
        (await res.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }
      ).data.result;
    };
    const stored = await Promise.race([
      spawnError,
      waitFor(
        "Prometheus to store pantau_camera_up",
        async () => {
          if (prometheus && !isRunning(prometheus)) throw new Error(`prometheus exited: ${stderr}`);
          const r = await query("pantau_camera_up");
          return r !== undefined && r.length >= 3 ? r : undefined;
        },
        30_000,
      ),
    ]);
    const byCamera = new Map(stored.map((s) => [s.metric.camera, s]));
    expect(byCamera.get(liveId)?.metric).toMatchObject({ job: "pantau", instance: target, school: schoolId });
    expect(byCamera.get(liveId)?.value[1]).toBe("1");
    expect(byCamera.get(disabledId)?.value[1]).toBe("0");
    expect((await query('up{job="pantau"}'))?.[0]?.value[1]).toBe("1");
    // The shipped rules loaded, none failing to evaluate.
    const rules5 = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules5.data.groups.flatMap((g) => g.rules);
    for (const r of loaded) expect(r.health, r.name).not.toBe("err");
    expect(loaded.map((r) => r.name).sort()).toEqual([
      "PantauCameraDown",
      "PantauCameraFlapping",
      "PantauEdgeDown",
      "PantauGatewayDown",
      "PantauGatewayScrapeAbsent",
      "PantauSchoolCamerasDown",
    ]);
  });
});

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { cameraStates, type CameraState } from "./camera-state.js";

/** One camera as the metrics see it; ids are the labels, names only in `pantau_camera_info`. */
export interface CameraMetrics {
  schoolId: string;
  schoolName: string;
  cameraId: string;
  cameraName: string;
  state: CameraState;
  /** Wall time (ms) of the last fragment received from the camera, if any since the gateway started. */
  lastFrameAt?: number | undefined;
  /** Totals since the gateway started; they only grow. */
  reconnects: number;
  ingestBytes: number;
}

export interface ViewerMetrics {
  schoolId: string;
  cameraId: string;
  protocol: "hls" | "ws";
  count: number;
}

/** One school edge as a hub's metrics see it. */
export interface EdgeMetrics {
  edgeId: string;
  schoolId: string;
  online: boolean;
  /** Its round trip to the NATS server (ms), as it last said. */
  rttMs: number | null;
  /** Fragments its relay skipped (link behind), as counted by the edge since it started. */
  skippedFragments: number;
}

/** Where the values come from, read at every scrape (nothing is pushed into the metrics between scrapes). */
export interface MetricsSource {
  cameras(): CameraMetrics[];
  viewers(): ViewerMetrics[];
  /** At a hub: its edges. */
  edges?: () => EdgeMetrics[];
}

const protocols = ["hls", "ws"] as const;
const up: ReadonlySet<CameraState> = new Set<CameraState>(["online", "degraded"]);

/**
 * The gateway's Prometheus metrics in a registry of their own (not prom-client's global one, so two gateways
 * in one test process do not share series): camera gauges and counters read from a MetricsSource at scrape
 * time, HTTP request durations observed as requests finish, and prom-client's process metrics. Names follow
 * Prometheus' rules: base units (seconds, bytes), `_total` for counters, labels by id (school, camera), no
 * per-viewer or per-session label anywhere.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<"method" | "route" | "status">;
  /** The source read once per scrape, shared by every metric's collect(). */
  private scrape: { cameras: CameraMetrics[]; viewers: ViewerMetrics[] } | undefined;

  constructor(
    private readonly source: MetricsSource,
    o: { version: string },
  ) {
    const registers = [this.registry];
    const read = () => this.scrape ?? { cameras: source.cameras(), viewers: source.viewers() };
    const cameraLabels = ["school", "camera"] as const;

    new Gauge({
      name: "pantau_build_info",
      help: "The gateway's version; always 1",
      labelNames: ["version"] as const,
      registers,
    }).set({ version: o.version }, 1);

    new Gauge({
      name: "pantau_camera_info",
      help: "A camera's school and camera names (join on school and camera ids); always 1",
      labelNames: [...cameraLabels, "school_name", "camera_name"] as const,
      registers,
      collect() {
        this.reset();
        for (const c of read().cameras)
          this.set(
            { school: c.schoolId, camera: c.cameraId, school_name: c.schoolName, camera_name: c.cameraName },
            1,
          );
      },
    });

    new Gauge({
      name: "pantau_camera_up",
      help: "1 when the camera delivers video (online or degraded), else 0",
      labelNames: cameraLabels,
      registers,
      collect() {
        this.reset();
        for (const c of read().cameras)
          this.set({ school: c.schoolId, camera: c.cameraId }, up.has(c.state) ? 1 : 0);
      },
    });

    new Gauge({
      name: "pantau_camera_state",
      help: `The camera's health state: 1 for the state it is in, 0 for the others (${cameraStates.join(", ")})`,
      labelNames: [...cameraLabels, "state"] as const,
      registers,
      collect() {
        this.reset();
        for (const c of read().cameras)
          for (const state of cameraStates)
            this.set({ school: c.schoolId, camera: c.cameraId, state }, c.state === state ? 1 : 0);
      },
    });

    new Gauge({
      name: "pantau_camera_last_frame_timestamp_seconds",
      help: "Unix time of the last video fragment received from the camera (absent before the first)",
      labelNames: cameraLabels,
      registers,
      collect() {
        this.reset();
        for (const c of read().cameras)
          if (c.lastFrameAt !== undefined)
            this.set({ school: c.schoolId, camera: c.cameraId }, c.lastFrameAt / 1000);
      },
    });

    this.totalCounter(
      "pantau_camera_reconnects_total",
      "Stream restarts after a failure or a stall, since the gateway started",
      () => read().cameras,
      (c) => c.reconnects,
    );
    this.totalCounter(
      "pantau_camera_ingest_bytes_total",
      "Fragmented MP4 bytes read from the camera's ffmpeg, every rendition, since the gateway started",
      () => read().cameras,
      (c) => c.ingestBytes,
    );

    const { edges } = source;
    if (edges) {
      const edgeLabels = ["edge", "school"] as const;
      new Gauge({
        name: "pantau_edge_up",
        help: "1 while the school's edge gateway is on the link (heartbeats), else 0",
        labelNames: edgeLabels,
        registers,
        collect() {
          this.reset();
          for (const e of edges()) this.set({ edge: e.edgeId, school: e.schoolId }, e.online ? 1 : 0);
        },
      });
      new Gauge({
        name: "pantau_edge_link_rtt_seconds",
        help: "The edge's round trip to the hub's NATS server, as it last measured it (absent while offline)",
        labelNames: edgeLabels,
        registers,
        collect() {
          this.reset();
          for (const e of edges())
            if (e.online && e.rttMs !== null)
              this.set({ edge: e.edgeId, school: e.schoolId }, e.rttMs / 1000);
        },
      });
      new Gauge({
        name: "pantau_edge_relay_skipped_fragments",
        help: "Fragments the edge's relay skipped to the next keyframe because the link was behind, since the edge started",
        labelNames: edgeLabels,
        registers,
        collect() {
          this.reset();
          for (const e of edges()) this.set({ edge: e.edgeId, school: e.schoolId }, e.skippedFragments);
        },
      });
    }

    new Gauge({
      name: "pantau_viewers",
      help: "Viewers watching the camera now, by protocol (LL-HLS sessions, WebSockets)",
      labelNames: [...cameraLabels, "protocol"] as const,
      registers,
      collect() {
        this.reset();
        const { cameras, viewers } = read();
        // Every camera has both series, at 0 when nobody watches: a series that comes and goes breaks rate().
        for (const c of cameras)
          for (const protocol of protocols) this.set({ school: c.schoolId, camera: c.cameraId, protocol }, 0);
        for (const v of viewers)
          this.inc({ school: v.schoolId, camera: v.cameraId, protocol: v.protocol }, v.count);
      },
    });

    this.requests = new Histogram({
      name: "pantau_http_request_duration_seconds",
      help: "HTTP requests answered by the API and pages (not media under /live), by route pattern",
      labelNames: ["method", "route", "status"] as const,
      registers,
    });

    collectDefaultMetrics({ register: this.registry, prefix: "pantau_" });
  }

  /** `route` is the express route pattern (`/api/cameras/:id`), never the path: ids and tokens stay out. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status: String(status) }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text; the source is read once for all metrics. */
  async text(): Promise<string> {
    this.scrape = { cameras: this.source.cameras(), viewers: this.source.viewers() };
    try {
      // Every metric's collect() runs synchronously inside this call, before its first await.
      return await this.registry.metrics();
    } finally {
      this.scrape = undefined;
    }
  }

  /**
   * A per-camera counter whose value is the source's running total. It is set from the total at each scrape
   * (reset, then inc by the total), never below what the last scrape showed for that camera: a counter that
   * went down would read as a gateway restart to rate(). A camera that is gone simply disappears.
   */
  private totalCounter(
    name: string,
    help: string,
    cameras: () => CameraMetrics[],
    value: (c: CameraMetrics) => number,
  ): void {
    let last = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: ["school", "camera"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const next = new Map<string, number>();
        for (const c of cameras()) {
          const v = Math.max(last.get(c.cameraId) ?? 0, value(c));
          next.set(c.cameraId, v);
          this.inc({ school: c.schoolId, camera: c.cameraId }, v);
        }
        last = next;
      },
    });
  }
}

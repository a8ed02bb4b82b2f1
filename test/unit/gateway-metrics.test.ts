import { describe, expect, it } from "vitest";
import { GatewayMetrics, type CameraMetrics, type MetricsSource } from "../../gateway/src/health/metrics.js";

// GatewayMetrics reads a MetricsSource at scrape time: exact series for a hand-made source, counters that never
// go down, a removed camera's series gone.

const cam = (over: Partial<CameraMetrics> = {}): CameraMetrics => ({
  schoolId: "sch_1",
  schoolName: 'SD "Satu"',
  cameraId: "cam_1",
  cameraName: "Kelas 1A",
  state: "online",
  lastFrameAt: 1_700_000_000_500,
  reconnects: 2,
  ingestBytes: 1000,
  ...over,
});

function setup(cameras: CameraMetrics[]) {
  const source = { cameras: () => cameras, viewers: (): ReturnType<MetricsSource["viewers"]> => [] };
  const metrics = new GatewayMetrics(source, { version: "1.2.3" });
  const lines = async (prefix: string) =>
    (await metrics.text())
      .split("\n")
      .filter((l) => l.startsWith(prefix + "{") || l.startsWith(prefix + " "));
  return { source, metrics, lines, cameras };
}

describe("GatewayMetrics", () => {
  it("writes one state series per state, up, info with escaped names, and the last frame in seconds", async () => {
    const { lines } = setup([cam(), cam({ cameraId: "cam_2", state: "paused", lastFrameAt: undefined })]);
    expect(await lines("pantau_camera_state")).toEqual([
      'pantau_camera_state{school="sch_1",camera="cam_1",state="online"} 1',
      'pantau_camera_state{school="sch_1",camera="cam_1",state="degraded"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_1",state="offline"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_1",state="paused"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_1",state="disabled"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_1",state="unknown"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="online"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="degraded"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="offline"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="paused"} 1',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="disabled"} 0',
      'pantau_camera_state{school="sch_1",camera="cam_2",state="unknown"} 0',
    ]);
    expect(await lines("pantau_camera_up")).toEqual([
      'pantau_camera_up{school="sch_1",camera="cam_1"} 1',
      'pantau_camera_up{school="sch_1",camera="cam_2"} 0',
    ]);
    expect((await lines("pantau_camera_info"))[0]).toBe(
      'pantau_camera_info{school="sch_1",camera="cam_1",school_name="SD \\"Satu\\"",camera_name="Kelas 1A"} 1',
    );
    expect(await lines("pantau_camera_last_frame_timestamp_seconds")).toEqual([
      'pantau_camera_last_frame_timestamp_seconds{school="sch_1",camera="cam_1"} 1700000000.5',
    ]);
    expect(await lines("pantau_viewers")).toEqual([
      'pantau_viewers{school="sch_1",camera="cam_1",protocol="hls"} 0',
      'pantau_viewers{school="sch_1",camera="cam_1",protocol="ws"} 0',
      'pantau_viewers{school="sch_1",camera="cam_2",protocol="hls"} 0',
      'pantau_viewers{school="sch_1",camera="cam_2",protocol="ws"} 0',
    ]);
    expect(await lines("pantau_build_info")).toEqual(['pantau_build_info{version="1.2.3"} 1']);
  });

  it("exposes the source's totals as counters that never go down; a removed camera disappears", async () => {
    const { lines, cameras } = setup([cam(), cam({ cameraId: "cam_2", ingestBytes: 5 })]);
    expect(await lines("pantau_camera_ingest_bytes_total")).toEqual([
      'pantau_camera_ingest_bytes_total{school="sch_1",camera="cam_1"} 1000',
      'pantau_camera_ingest_bytes_total{school="sch_1",camera="cam_2"} 5',
    ]);
    cameras[0] = cam({ ingestBytes: 1500, reconnects: 3 });
    expect(await lines("pantau_camera_ingest_bytes_total")).toContain(
      'pantau_camera_ingest_bytes_total{school="sch_1",camera="cam_1"} 1500',
    );
    // A source that went back (it never should) does not make the counter go down.
    cameras[0] = cam({ ingestBytes: 10, reconnects: 0 });
    expect(await lines("pantau_camera_ingest_bytes_total")).toContain(
      'pantau_camera_ingest_bytes_total{school="sch_1",camera="cam_1"} 1500',
    );
    expect(await lines("pantau_camera_reconnects_total")).toContain(
      'pantau_camera_reconnects_total{school="sch_1",camera="cam_1"} 3',
    );
    cameras.splice(1, 1);
    expect(await lines("pantau_camera_ingest_bytes_total")).toEqual([
      'pantau_camera_ingest_bytes_total{school="sch_1",camera="cam_1"} 1500',
    ]);
  });

  it("reads the source once per scrape and observes requests by route", async () => {
    let reads = 0;
    const metrics = new GatewayMetrics(
      {
        cameras: () => {
          reads++;
          return [cam()];
        },
        viewers: () => [{ schoolId: "sch_1", cameraId: "cam_1", protocol: "ws", count: 2 }],
      },
      { version: "1" },
    );
    metrics.observeRequest("GET", "/api/cameras/:id", 200, 0.003);
    const text = await metrics.text();
    expect(reads).toBe(1);
    expect(text).toContain('pantau_viewers{school="sch_1",camera="cam_1",protocol="ws"} 2');
    expect(text).toContain(
      'pantau_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/cameras/:id",status="200"} 1',
    );
    expect(text).toContain("pantau_process_cpu_seconds_total");
  });
});

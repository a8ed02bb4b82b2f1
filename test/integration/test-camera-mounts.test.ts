import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReadyProcess, stopReadyProcess, type ReadyChild } from "../helpers/ready-process.js";

// scripts/test-camera.py --mounts N: the many cameras bench:idle registers, /cam0 … /cam<N-1> on one server.

const SCRIPT = fileURLToPath(new URL("../../scripts/test-camera.py", import.meta.url));

/** One DESCRIBE on a fresh connection: the status code and the body. */
function describeMount(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let buf = "";
    socket.setEncoding("utf8");
    socket.setTimeout(10_000, () => socket.destroy(new Error(`DESCRIBE ${path}: no answer`)));
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(
        `DESCRIBE rtsp://127.0.0.1:${String(port)}${path} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n`,
      ),
    );
    socket.on("data", (chunk: string) => {
      buf += chunk;
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/^content-length:\s*(\d+)/im.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.end();
      resolve({ status: Number(buf.split(" ")[1]), body: buf.slice(end + 4, end + 4 + length) });
    });
  });
}

describe("test camera --mounts", () => {
  let child: ReadyChild;
  let ready: { port: number; mounts: number; main: string };

  beforeAll(async () => {
    const started = await startReadyProcess(
      "test camera",
      ["/usr/bin/python3", SCRIPT, "--mounts", "3", "--width", "160", "--height", "90", "--fps", "5"],
      {
        isReady: (v): v is { ready: true; port: number; mounts: number; main: string } =>
          typeof v === "object" && v !== null && (v as { ready?: unknown }).ready === true,
      },
    );
    child = started.child;
    ready = started.ready;
  });

  afterAll(async () => {
    await stopReadyProcess(child);
  });

  it("says how many mounts it serves, beside /main", () => {
    expect(ready.mounts).toBe(3);
    expect(ready.main).toBe(`rtsp://127.0.0.1:${String(ready.port)}/main`);
  });

  it("answers DESCRIBE on /cam0 … /cam2 with H.264 video, and 404 past the last", async () => {
    for (const path of ["/cam0", "/cam2", "/cam1"]) {
      // The mounts share one media: gst-rtsp-server answers 503 while the last DESCRIBE-only client's
      // media is still being unprepared (seen once under load), and 200 once it is ready again.
      let r = await describeMount(ready.port, path);
      await expect
        .poll(
          async () => (r.status === 503 ? (r = await describeMount(ready.port, path)).status : r.status),
          {
            timeout: 15_000,
          },
        )
        .toBe(200);
      expect(r.status, path).toBe(200);
      expect(r.body).toMatch(/^m=video /m);
      expect(r.body).toMatch(/a=rtpmap:96 H264\/90000/);
    }
    expect((await describeMount(ready.port, "/cam3")).status).toBe(404);
    expect((await describeMount(ready.port, "/main")).status).toBe(200);
  });
});

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../helpers/gateway.js";

/** The ffmpeg processes this test process started and that are still running. */
const ffmpegChildren = (): string[] =>
  execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes("ffmpeg"));

// A start that failed part way (the HTTP port taken) left what it had opened running: the always-on
// camera's ffmpeg, the sweep and viewing timers, the database. main.ts now closes them in reverse order.
describe("a gateway whose start fails part way", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pantau-start-failure-"));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("closes what it had opened: no ffmpeg is left running", async () => {
    const first = await startTestGateway({}, { dataDir, keepData: true });
    await first.addCamera({ name: "Always on", source: { kind: "test-pattern" }, alwaysOn: true });
    await first.close();
    expect(ffmpegChildren()).toEqual([]);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(startTestGateway({ http: { port } }, { dataDir, keepData: true })).rejects.toThrow(
        /EADDRINUSE/,
      );
      expect(ffmpegChildren()).toEqual([]);
    } finally {
      taken.close();
    }

    // The data is intact and the next start (on a free port) runs the camera again.
    const again = await startTestGateway({}, { dataDir, keepData: true });
    try {
      expect((await again.health()).renditions.length).toBeGreaterThan(0);
    } finally {
      await again.close();
    }
  });
});

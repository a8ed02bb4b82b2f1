import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { pidsMatching, waitFor } from "../helpers/media.js";

let gp: GatewayProcess | undefined;

afterEach(async () => {
  await gp?.cleanup();
  gp = undefined;
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const parentOf = (pid: number): number => {
  try {
    return Number(
      readFileSync(`/proc/${String(pid)}/stat`, "utf8")
        .split(") ")[1]
        ?.split(" ")[1],
    );
  } catch {
    return 0; // gone already
  }
};

/** Starts the demo stream and returns the pids of the ffmpeg children of the gateway. */
async function watchDemo(g: GatewayProcess): Promise<number[]> {
  const list = (await (await fetch(`${g.url}/api/watchable`)).json()) as {
    cameras: { id: string; demo: boolean }[];
  };
  const demo = list.cameras.find((c) => c.demo);
  expect(demo).toBeDefined();
  const w = (await (await fetch(`${g.url}/api/watch/${demo?.id ?? ""}`, { method: "POST" })).json()) as {
    hls: string;
  };
  const res = await fetch(`${g.url}${w.hls.replace("index.m3u8", "main/index.m3u8")}`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain("#EXT-X-PART:");
  const pid = g.child.pid ?? 0;
  return waitFor("an ffmpeg child", async () => {
    const kids = (await pidsMatching("ffmpeg -nostdin")).filter((p) => alive(p));
    const mine: number[] = [];
    for (const k of kids) {
      if (parentOf(k) === pid) mine.push(k);
    }
    return mine.length > 0 ? mine : undefined;
  });
}

describe("the gateway as a process (npm start)", () => {
  it("prints the ready line and the demo link, plays the demo, and leaves no ffmpeg after SIGTERM", async () => {
    gp = await startGatewayProcess();
    expect(gp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gp.demoUrl).toBe(`${gp.url}/demo`);
    expect((await fetch(gp.demoUrl ?? "")).status).toBe(200);
    const ffmpegs = await watchDemo(gp);
    gp.child.kill("SIGTERM");
    const { code } = await gp.exited;
    expect(code).toBe(0);
    for (const pid of ffmpegs) expect(alive(pid)).toBe(false);
  });

  it("leaves no ffmpeg behind even when the gateway is killed with SIGKILL", async () => {
    gp = await startGatewayProcess();
    const ffmpegs = await watchDemo(gp);
    // ffmpeg loses its stdout reader and must exit on EPIPE at its next write.
    gp.child.kill("SIGKILL");
    await waitFor(
      "ffmpeg to exit after its gateway died",
      () => ffmpegs.every((p) => !alive(p)) || undefined,
      10_000,
    );
  });

  it("refuses to start with a clear message on a bad setting", async () => {
    await expect(startGatewayProcess({ PANTAU_HTTP_PORT: "eighty" })).rejects.toThrow(
      /PANTAU_HTTP_PORT: expected a number/,
    );
  });
});

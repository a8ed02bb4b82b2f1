import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { pidsMatching, waitFor } from "../helpers/media.js";
import { openLink } from "../helpers/school-fixture.js";

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

/** Starts the demo stream as a parent would (the printed link) and returns the gateway's ffmpeg pids. */
async function watchDemo(g: GatewayProcess): Promise<number[]> {
  const phone = await openLink(g, new URL(g.demoUrl ?? "").pathname);
  const me = (await phone.get("/api/viewer/me")).body as {
    cameras: { id: string; demo: boolean; status: string }[];
  };
  const demo = me.cameras.find((c) => c.demo);
  expect(demo?.status).toBe("viewable");
  const w = (await phone.post(`/api/watch/${demo?.id ?? ""}`)).body as { hls: string };
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
    expect(gp.demoUrl).toMatch(new RegExp(`^${gp.url}/a/[A-Za-z0-9_-]{43}$`));
    // First start without PANTAU_ADMIN_PASSWORD: the operator password is printed once, and works.
    const printed = /Operator account "admin" created with password: (\S+)/.exec(gp.stdout.join("\n"))?.[1];
    expect(printed).toBeDefined();
    await new ApiClient(gp.url).login("admin", printed ?? "");
    expect(gp.stderr.join("\n")).not.toContain(printed ?? "");
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

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, readStatsScript, type PageStats } from "../helpers/browser.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

let camera: TestCamera | undefined;
let gw: TestGateway | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let cameraId: string;

beforeAll(async () => {
  camera = await startTestCamera();
  gw = await startTestGateway();
  ({ id: cameraId } = await gw.addCamera({
    name: "Kelas 2B",
    source: { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") },
  }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.cleanup();
  await gw?.close();
  await camera?.stop();
});

async function play(mode: "hls" | "ws", rendition = "auto"): Promise<PageStats> {
  const page = await browser!.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${gw!.url}/dev/player?camera=${cameraId}&mode=${mode}&rendition=${rendition}&measure=1`);
  // Polled with evaluate, not waitForFunction: the page's CSP (no eval) stays on, as parents get it.
  const stats = () => page.evaluate<PageStats>(readStatsScript);
  const first = await waitFor("75 decoded frames", async () => {
    const s = await stats();
    return s.frames > 75 ? s : undefined;
  });
  const later = await waitFor("playback time to advance by 1 s", async () => {
    const s = await stats();
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
  await page.close();
  expect(pageErrors).toEqual([]);
  return later;
}

describe("the player page in headless Chromium", () => {
  it("plays LL-HLS through hls.js: frames decoded, time advancing, the camera's clock readable", async () => {
    const s = await play("hls");
    expect(s.frames).toBeGreaterThan(75);
    expect(s.latenciesMs.length).toBeGreaterThan(50);
    expect(s.status).toBe("");
  });

  it("plays WebSocket fMP4 through MSE", async () => {
    const s = await play("ws");
    expect(s.frames).toBeGreaterThan(75);
    expect(s.latenciesMs.length).toBeGreaterThan(50);
  });

  it("plays the sub rendition when asked", async () => {
    const s = await play("ws", "sub");
    expect(s.frames).toBeGreaterThan(75);
  });
});

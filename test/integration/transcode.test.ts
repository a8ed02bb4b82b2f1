import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { followLlHls, parseMediaPlaylist } from "../helpers/llhls-client.js";
import { waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

let camera: TestCamera | undefined;
let gw: TestGateway | undefined;

beforeAll(async () => {
  camera = await startTestCamera({ codec: "h265", width: 320, height: 180 });
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
  await camera?.stop();
});

describe("an H.265 camera", () => {
  it("is detected on its first start and served as H.264, which browsers can decode", async () => {
    const g = gw!;
    const { id } = await g.addCamera({
      name: "Kelas HEVC",
      source: { kind: "rtsp", url: camera!.url("main") },
    });
    const w = await g.watch(id);
    const media = w.hls.replace("index.m3u8", "main/index.m3u8");
    const first = await fetch(media);
    expect(first.status).toBe(200);
    const pl = parseMediaPlaylist(await first.text());
    const init = Buffer.from(await (await fetch(new URL(pl.maps[0] ?? "", media))).arrayBuffer());
    expect(init.includes(Buffer.from("avcC"))).toBe(true);
    expect(init.includes(Buffer.from("hvcC"))).toBe(false);
    const r = await followLlHls(media, 20_000, { untilParts: 6 });
    expect(r.missing).toEqual([]);
    expect(r.partsFetched).toBeGreaterThan(5);
    const stored = await waitFor("the codec to be remembered", async () => {
      const c = (await g.admin.expect(200, "GET", `/api/cameras/${id}`)) as { videoCodec: string | null };
      return c.videoCodec === "h265" ? c : undefined;
    });
    expect(stored.videoCodec).toBe("h265");
    const health = (await g.health()) as {
      renditions: { cameraId: string; transcoding: boolean; codecs: string }[];
    };
    expect(health.renditions.find((h) => h.cameraId === id)).toMatchObject({
      transcoding: true,
      codecs: expect.stringMatching(/^avc1\./) as unknown,
    });
  });
});

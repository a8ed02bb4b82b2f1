import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { needsTranscode } from "../../gateway/src/cameras/camera.js";
import {
  isLoopbackAddress,
  publishSign,
  publishUrl,
  verifyPublish,
} from "../../gateway/src/ingest/rtmp-publish-sign.js";

const key = Buffer.alloc(32, 1);
const otherKey = Buffer.alloc(32, 2);
const now = 1_800_000_000;
const exp = now + 3600;

describe("RTMP publish signatures", () => {
  const good = publishSign(key, "cam_a", exp);

  it("has node-media-server's shape: <expires>-<hash>, here HMAC-SHA256 in hex", () => {
    expect(good).toMatch(/^1800003600-[0-9a-f]{64}$/);
    // Deterministic for a key, camera and expiry: the same URL every time it is asked for within a second.
    expect(publishSign(key, "cam_a", exp)).toBe(good);
    expect(publishSign(key, "cam_b", exp)).not.toBe(good);
  });

  const flip = (s: string) => s.slice(0, -1) + (s.endsWith("0") ? "1" : "0");
  // cam_a and cam_b are pushed cameras at generation 0 (their URLs are v1's); cam_c is at generation 3.
  const generations: Record<string, number> = { cam_a: 0, cam_b: 0, cam_c: 3 };
  const generationOf = (id: string) => generations[id];
  const c3 = publishSign(key, "cam_c", exp, 3);
  const cases: [string, unknown, unknown, ReturnType<typeof verifyPublish>][] = [
    ["the camera's own signature", "/live/cam_a", good, { ok: true, cameraId: "cam_a", generation: 0 }],
    ["the current generation's signature", "/live/cam_c", c3, { ok: true, cameraId: "cam_c", generation: 3 }],
    [
      "an earlier generation's signature",
      "/live/cam_c",
      publishSign(key, "cam_c", exp, 2),
      { ok: false, reason: "revoked" },
    ],
    [
      "a v1 signature (generation 0) of a camera at generation 3",
      "/live/cam_c",
      publishSign(key, "cam_c", exp),
      { ok: false, reason: "revoked" },
    ],
    [
      "a later generation than the camera's",
      "/live/cam_a",
      publishSign(key, "cam_a", exp, 1),
      { ok: false, reason: "revoked" },
    ],
    [
      "an old generation's hash with the current generation written in",
      "/live/cam_c",
      publishSign(key, "cam_c", exp, 2).replace("-2-", "-3-"),
      { ok: false, reason: "bad_signature" },
    ],
    [
      "a v2 hash with its generation taken out",
      "/live/cam_c",
      c3.replace("-3-", "-"),
      { ok: false, reason: "bad_signature" },
    ],
    ["an explicit generation 0", "/live/cam_a", good.replace("-", "-0-"), { ok: false, reason: "malformed" }],
    [
      "a good signature of a camera that is not pushed (or was deleted)",
      "/live/cam_gone",
      publishSign(key, "cam_gone", exp),
      { ok: false, reason: "unknown_camera" },
    ],
    [
      "a bad signature of an unknown camera: bad_signature, saying nothing of the camera",
      "/live/cam_gone",
      flip(publishSign(key, "cam_gone", exp)),
      { ok: false, reason: "bad_signature" },
    ],
    [
      "a revoked and expired signature: revoked",
      "/live/cam_c",
      publishSign(key, "cam_c", now - 1, 1),
      { ok: false, reason: "revoked" },
    ],
    ["another camera's signature", "/live/cam_b", good, { ok: false, reason: "bad_signature" }],
    ["a changed hash", "/live/cam_a", flip(good), { ok: false, reason: "bad_signature" }],
    [
      "a later expiry with the old hash",
      "/live/cam_a",
      good.replace(/^\d+/, String(exp + 86_400)),
      { ok: false, reason: "bad_signature" },
    ],
    [
      "another key's signature",
      "/live/cam_a",
      publishSign(otherKey, "cam_a", exp),
      { ok: false, reason: "bad_signature" },
    ],
    [
      "an expired signature",
      "/live/cam_a",
      publishSign(key, "cam_a", now - 1),
      { ok: false, reason: "expired" },
    ],
    ["no signature", "/live/cam_a", undefined, { ok: false, reason: "no_signature" }],
    ["an empty signature", "/live/cam_a", "", { ok: false, reason: "no_signature" }],
    ["a repeated sign= (an array)", "/live/cam_a", [good, good], { ok: false, reason: "malformed" }],
    ["upper-case hex", "/live/cam_a", good.toUpperCase(), { ok: false, reason: "malformed" }],
    ["no expiry", "/live/cam_a", good.split("-")[1], { ok: false, reason: "malformed" }],
    ["another application", "/other/cam_a", good, { ok: false, reason: "bad_path" }],
    ["a nested path", "/live/cam_a/x", good, { ok: false, reason: "bad_path" }],
    ["no stream name", "/live/", good, { ok: false, reason: "bad_path" }],
    ["no path at all", undefined, good, { ok: false, reason: "bad_path" }],
  ];
  it.each(cases)("%s", (_name, path, sign, expected) => {
    expect(verifyPublish(key, path, sign, now, generationOf)).toEqual(expected);
  });

  it("signs generation 0 as v1 did, and every later generation apart", () => {
    // The v1 message, recomputed here: URLs handed out before generations existed stay valid.
    const v1 = createHmac("sha256", key).update(`pantau-rtmp-publish-v1|/live/cam_a|${String(exp)}`);
    expect(good).toBe(`${String(exp)}-${v1.digest("hex")}`);
    expect(publishSign(key, "cam_a", exp, 0)).toBe(good);
    const g1 = publishSign(key, "cam_a", exp, 1);
    expect(g1).toMatch(/^1800003600-1-[0-9a-f]{64}$/);
    expect(g1.slice(-64)).not.toBe(good.slice(-64));
    expect(publishSign(key, "cam_a", exp, 2).slice(-64)).not.toBe(g1.slice(-64));
    expect(() => publishSign(key, "cam_a", exp, -1)).toThrow(/generation/);
    expect(() => publishSign(key, "cam_a", exp, 1.5)).toThrow(/generation/);
    expect(() => publishSign(key, "cam_a", exp, 1_000_000_000)).toThrow(/generation/);
  });

  it("builds the URL an NVR is given, whole and as server + stream key", () => {
    expect(publishUrl(key, { host: "192.168.1.10", port: 1935 }, "cam_a", exp)).toEqual({
      url: `rtmp://192.168.1.10:1935/live/cam_a?sign=${good}`,
      server: "rtmp://192.168.1.10:1935/live",
      streamKey: `cam_a?sign=${good}`,
      expiresAt: new Date(exp * 1000).toISOString(),
    });
    expect(publishUrl(key, { host: "192.168.1.10", port: 1935 }, "cam_a", exp, 4).streamKey).toBe(
      `cam_a?sign=${publishSign(key, "cam_a", exp, 4)}`,
    );
    expect(publishUrl(key, { host: "fd00::10", port: 1935 }, "cam_a", exp).server).toBe(
      "rtmp://[fd00::10]:1935/live",
    );
    expect(publishUrl(key, { host: "[fd00::10]", port: 1935 }, "cam_a", exp).server).toBe(
      "rtmp://[fd00::10]:1935/live",
    );
  });

  it("refuses to sign an id that is not path-safe", () => {
    expect(() => publishSign(key, "../x", exp)).toThrow(/path-safe/);
  });
});

describe("who may play from the RTMP listener", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.3.4.5", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["192.168.1.20", false],
    ["::ffff:10.0.0.2", false],
    ["fe80::1", false],
    [undefined, false],
  ])("%s → %s", (address, allowed) => {
    expect(isLoopbackAddress(address)).toBe(allowed);
  });
});

describe("an RTMP camera's transcode decision", () => {
  it("copies H.264 and an unknown codec, transcodes H.265", () => {
    expect(needsTranscode("rtmp", "h264")).toBe(false);
    expect(needsTranscode("rtmp", null)).toBe(false);
    expect(needsTranscode("rtmp", "h265")).toBe(true);
  });
});

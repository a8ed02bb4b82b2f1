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
  const cases: [string, unknown, unknown, ReturnType<typeof verifyPublish>][] = [
    ["the camera's own signature", "/live/cam_a", good, { ok: true, cameraId: "cam_a" }],
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
    expect(verifyPublish(key, path, sign, now)).toEqual(expected);
  });

  it("builds the URL an NVR is given, whole and as server + stream key", () => {
    expect(publishUrl(key, { host: "192.168.1.10", port: 1935 }, "cam_a", exp)).toEqual({
      url: `rtmp://192.168.1.10:1935/live/cam_a?sign=${good}`,
      server: "rtmp://192.168.1.10:1935/live",
      streamKey: `cam_a?sign=${good}`,
      expiresAt: new Date(exp * 1000).toISOString(),
    });
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

import { describe, expect, it } from "vitest";
import { cameraCreateSchema, separateCredentials } from "../../gateway/src/cameras/camera.schema.js";

const body = (url: unknown) => ({ schoolId: "sch_1", name: "Kelas 1A", source: { kind: "rtsp", url } });

describe("camera source URLs", () => {
  it.each([
    ["rtsp://192.0.2.10:554/Streaming/Channels/101"],
    ["rtsps://cam.sekolah.local/live"],
    ["rtsp://admin:p%40ss@192.0.2.10/stream1"],
  ])("accepts %s", (url) => {
    expect(cameraCreateSchema.safeParse(body(url)).success).toBe(true);
  });

  it.each([
    ["file:///etc/passwd", /scheme "file:" is not allowed/],
    ["concat:rtsp://a|rtsp://b", /not allowed|not a valid URL/],
    ["http://192.0.2.10/video.mjpg", /scheme "http:" is not allowed/],
    ["garbage", /not a valid URL/],
    ["rtsp://", /not a valid URL|no host/],
    ["rtsp://host/a b", /spaces or control characters/],
    ["rtsp://host/\u0000", /spaces or control characters/],
    ["rtsp://host:99999/x", /not a valid URL|port/],
    [42, /expected string/],
  ])("refuses %s with a reason", (url, reason) => {
    const r = cameraCreateSchema.safeParse(body(url));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["source", "url"]);
    expect(r.error?.issues[0]?.message).toMatch(reason);
  });

  it("refuses unknown fields and kinds", () => {
    expect(cameraCreateSchema.safeParse({ ...body("rtsp://h/x"), extra: 1 }).success).toBe(false);
    expect(
      cameraCreateSchema.safeParse({ name: "x", source: { kind: "lavfi", url: "testsrc" } }).success,
    ).toBe(false);
  });

  it("moves credentials out of the URL", () => {
    expect(separateCredentials("rtsp://admin:p%40ss@192.0.2.10/stream1")).toEqual({
      url: "rtsp://192.0.2.10/stream1",
      username: "admin",
      password: "p@ss",
    });
  });
});

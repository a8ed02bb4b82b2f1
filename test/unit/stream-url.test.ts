import { describe, expect, it } from "vitest";
import {
  reasonFromBody,
  refusalAction,
  renditionUrl,
  renewDelayMs,
  tokenOf,
  withToken,
} from "../../viewer/src/stream-url.js";

describe("stream token in the URL path", () => {
  const old = "djF8YzF8czF8MTc0.sig_-A";
  it.each([
    [`/live/${old}/index.m3u8`, "/live/NEW.t/index.m3u8"],
    [
      `http://127.0.0.1:8080/live/${old}/sub/index.m3u8?_HLS_msn=12&_HLS_part=3`,
      "http://127.0.0.1:8080/live/NEW.t/sub/index.m3u8?_HLS_msn=12&_HLS_part=3",
    ],
    [`https://h/live/${old}/main/part/123.m4s`, "https://h/live/NEW.t/main/part/123.m4s"],
    [`/live/${old}/sub/init/0.mp4`, "/live/NEW.t/sub/init/0.mp4"],
    ["/api/viewer/me", "/api/viewer/me"],
  ])("%s → %s", (url, expected) => {
    expect(withToken(url, "NEW.t")).toBe(expected);
  });

  it("reads the token", () => {
    expect(tokenOf(`/live/${old}/ws`)).toBe(old);
    expect(tokenOf("/demo")).toBeUndefined();
  });

  it("points at a rendition", () => {
    expect(renditionUrl("/live/t/index.m3u8", "sub")).toBe("/live/t/sub/index.m3u8");
    expect(renditionUrl("/live/t/ws", "main")).toBe("/live/t/main/ws");
  });
});

describe("renewDelayMs", () => {
  it("renews at 80 % of the life the server gave, whatever the phone's clock says", () => {
    const server = "Mon, 12 May 2025 05:00:00 GMT";
    const expires = "2025-05-12T05:10:00.000Z";
    // The phone is 7 minutes ahead: its own clock would leave 3 minutes, not 10.
    const phoneNow = Date.parse("2025-05-12T05:07:00Z");
    expect(renewDelayMs(expires, server, phoneNow)).toBe(480_000);
  });

  it("uses the local clock without a Date header, and never less than 5 s", () => {
    expect(renewDelayMs("2025-05-12T05:10:00.000Z", null, Date.parse("2025-05-12T05:00:00Z"))).toBe(480_000);
    expect(renewDelayMs("2025-05-12T05:00:01.000Z", null, Date.parse("2025-05-12T05:00:00Z"))).toBe(5_000);
    expect(renewDelayMs("garbage", null, 0)).toBe(60_000);
  });
});

describe("refusal reasons", () => {
  it("reads error.code from a gateway error body", () => {
    expect(reasonFromBody('{"error":{"code":"paused","message":"x"}}')).toBe("paused");
    expect(reasonFromBody("#EXTM3U")).toBeUndefined();
    expect(reasonFromBody('{"error":{"code":"<script>"}}')).toBeUndefined();
    expect(reasonFromBody("null")).toBeUndefined();
  });

  it.each([
    ["token_expired", "reauthorize"],
    ["token_invalid", "reauthorize"],
    [undefined, "reauthorize"],
    ["outside_hours", "wait"],
    ["holiday", "wait"],
    ["paused", "wait"],
    ["viewer_limit", "wait"],
    ["camera_unavailable", "wait"],
    ["not_authorized", "wait"],
    ["revoked", "blocked"],
    ["no_device", "blocked"],
    ["session_ended", "blocked"],
    ["rate_limited", "backoff"],
  ] as const)("%s → %s", (code, action) => {
    expect(refusalAction(code)).toBe(action);
  });
});

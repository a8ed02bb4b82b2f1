import { describe, expect, it } from "vitest";
import {
  classifyProbe,
  explanations,
  type ProbeOutcome,
  type StreamTestResult,
} from "../../gateway/src/cameras/stream-test-result.js";

// Every stderr and stdout below is what ffprobe 5.1.9 (Debian 12) printed with the argv of
// buildFfprobeArgs (-v error, timeout 2–3 s) against the GStreamer test camera (scripts/test-camera.py:
// --username/--password, --codec h265|mjpeg, --audio, /audio), loopback servers that hang up, stay silent,
// answer HTTP or an RTSP error, a listen queue that is full (connect timeout), and a network namespace
// without routes (unshare -rn). Only the pointers in "[rtsp @ 0x…]" differ from run to run.

const base: Omit<ProbeOutcome, "exitCode" | "stderr" | "stdout"> = {
  elapsedMs: 300,
  timeoutSeconds: 2,
  withCredentials: true,
};
const failed = (stderr: string, more: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
  ...base,
  exitCode: 1,
  stderr,
  stdout: "{\n\n}\n",
  ...more,
});
const probed = (streams: unknown[], more: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
  ...base,
  exitCode: 0,
  stderr: "",
  stdout: JSON.stringify({ streams }, null, 4),
  ...more,
});

const h264 = {
  index: 0,
  codec_name: "h264",
  profile: "Constrained Baseline",
  codec_type: "video",
  width: 640,
  height: 360,
  r_frame_rate: "25/1",
  avg_frame_rate: "25/1",
  time_base: "1/90000",
};
const alaw = {
  index: 1,
  codec_name: "pcm_alaw",
  codec_type: "audio",
  sample_rate: "8000",
  channels: 1,
  r_frame_rate: "0/0",
  avg_frame_rate: "0/0",
  time_base: "1/8000",
};

const cases: [string, ProbeOutcome, StreamTestResult][] = [
  [
    "H.264 with G.711 audio (test camera --audio)",
    probed([h264, alaw]),
    {
      ok: true,
      video: { codec: "h264", width: 640, height: 360, fps: 25, profile: "Constrained Baseline" },
      audio: { codec: "pcm_alaw" },
      needsTranscode: false,
    },
  ],
  [
    "H.265 is fine, but browsers cannot play it: transcode (test camera --codec h265)",
    probed([{ ...h264, codec_name: "hevc", profile: "Main" }]),
    {
      ok: true,
      video: { codec: "h265", width: 640, height: 360, fps: 25, profile: "Main" },
      audio: null,
      needsTranscode: true,
    },
  ],
  [
    "NTSC frame rate, no profile",
    probed([{ ...h264, profile: undefined, avg_frame_rate: "30000/1001", r_frame_rate: "30000/1001" }]),
    {
      ok: true,
      video: { codec: "h264", width: 640, height: 360, fps: 29.97 },
      audio: null,
      needsTranscode: false,
    },
  ],
  [
    "MJPEG is refused (test camera --codec mjpeg)",
    probed([{ ...h264, codec_name: "mjpeg", profile: "Baseline" }]),
    {
      ok: false,
      code: "unsupported_codec",
      messages: explanations.unsupportedCodec("MJPEG"),
      detail: "video codec mjpeg",
      video: { codec: "mjpeg", width: 640, height: 360 },
    },
  ],
  [
    "audio only (test camera /audio)",
    probed([{ ...alaw, index: 0 }]),
    { ok: false, code: "no_video", messages: explanations.noVideo, detail: "only audio pcm_alaw" },
  ],
  [
    "an SDP announcing H.264, then no frame until the socket timeout (a mute RTSP server)",
    probed(
      [
        {
          index: 0,
          codec_name: "h264",
          codec_type: "video",
          width: 0,
          height: 0,
          r_frame_rate: "90000/1",
          avg_frame_rate: "0/0",
          time_base: "1/90000",
        },
      ],
      { elapsedMs: 2286 },
    ),
    {
      ok: false,
      code: "timeout",
      messages: explanations.noPicture(2),
      detail: "h264 announced, no frame received",
    },
  ],
  [
    "wrong password: 401 to DESCRIBE (basic and digest alike)",
    failed(
      "[rtsp @ 0x562e7249f2c0] method DESCRIBE failed: 401 Unauthorized\n" +
        "rtsp://admin:***@127.0.0.1:41793/main: Server returned 401 Unauthorized (authorization failed)\n",
    ),
    {
      ok: false,
      code: "auth_failed",
      messages: explanations.authFailed,
      detail: "method DESCRIBE failed: 401 Unauthorized",
    },
  ],
  [
    "no credentials for a camera that wants them: the same 401, a different sentence",
    failed(
      "[rtsp @ 0x55a8371ee2c0] method DESCRIBE failed: 401 Unauthorized\n" +
        "rtsp://127.0.0.1:41793/main: Server returned 401 Unauthorized (authorization failed)\n",
      { withCredentials: false },
    ),
    {
      ok: false,
      code: "auth_failed",
      messages: explanations.authRequired,
      detail: "method DESCRIBE failed: 401 Unauthorized",
    },
  ],
  [
    "a user without the right to view: 403",
    failed(
      "[rtsp @ 0x556238e05280] method OPTIONS failed: 403 Forbidden\n" +
        "rtsp://u:***@127.0.0.1:42129/main: Server returned 403 Forbidden (access denied)\n",
    ),
    {
      ok: false,
      code: "auth_failed",
      messages: explanations.authFailed,
      detail: "method OPTIONS failed: 403 Forbidden",
    },
  ],
  [
    "unknown path: 404",
    failed(
      "[rtsp @ 0x55ff381162c0] method DESCRIBE failed: 404 Not Found\n" +
        "rtsp://admin:***@127.0.0.1:41793/nothing: Server returned 404 Not Found\n",
    ),
    {
      ok: false,
      code: "not_found",
      messages: explanations.notFound,
      detail: "method DESCRIBE failed: 404 Not Found",
    },
  ],
  [
    "closed port: connection refused",
    failed(
      "[tcp @ 0x55b4fc5dd0c0] Connection to tcp://127.0.0.1:1?timeout=3000000 failed: Connection refused\n" +
        "rtsp://127.0.0.1:1/main: Connection refused\n",
      { elapsedMs: 156 },
    ),
    {
      ok: false,
      code: "unreachable",
      messages: explanations.refused,
      detail: "Connection to tcp://127.0.0.1:1 failed: Connection refused",
    },
  ],
  [
    "no route to host",
    failed(
      "[tcp @ 0x56544b6c4140] Connection to tcp://10.9.9.9:554?timeout=3000000 failed: No route to host\n" +
        "rtsp://10.9.9.9/main: No route to host\n",
    ),
    {
      ok: false,
      code: "unreachable",
      messages: explanations.noRoute,
      detail: "Connection to tcp://10.9.9.9:554 failed: No route to host",
    },
  ],
  [
    "network unreachable",
    failed(
      "[tcp @ 0x55b02c57f140] Connection to tcp://10.255.255.1:554?timeout=3000000 failed: Network is unreachable\n" +
        "rtsp://10.255.255.1/main: Network is unreachable\n",
    ),
    {
      ok: false,
      code: "unreachable",
      messages: explanations.noRoute,
      detail: "Connection to tcp://10.255.255.1:554 failed: Network is unreachable",
    },
  ],
  [
    "a host name that does not exist",
    failed(
      "[tcp @ 0x5640255210c0] Failed to resolve hostname no-such-host.invalid: Name or service not known\n" +
        "rtsp://no-such-host.invalid/main: Input/output error\n",
    ),
    {
      ok: false,
      code: "unreachable",
      messages: explanations.unknownHost,
      detail: "Failed to resolve hostname no-such-host.invalid: Name or service not known",
    },
  ],
  [
    "no DNS server at all",
    failed(
      "[tcp @ 0x558974870140] Failed to resolve hostname cam.example.sch.id: Temporary failure in name resolution\n" +
        "rtsp://cam.example.sch.id/main: Input/output error\n",
    ),
    {
      ok: false,
      code: "unreachable",
      messages: explanations.unknownHost,
      detail: "Failed to resolve hostname cam.example.sch.id: Temporary failure in name resolution",
    },
  ],
  [
    "connect timeout (SYN unanswered)",
    failed(
      "[tcp @ 0x55a7b5e66140] Connection to tcp://127.0.0.1:36011?timeout=2000000 failed: Connection timed out\n" +
        "rtsp://127.0.0.1:36011/main: Connection timed out\n",
      { elapsedMs: 2160 },
    ),
    {
      ok: false,
      code: "timeout",
      messages: explanations.timeout(2),
      detail: "Connection to tcp://127.0.0.1:36011 failed: Connection timed out",
    },
  ],
  [
    "a server that accepts and never answers: ffmpeg says 'invalid data' once the socket timeout passed",
    failed("rtsp://u:***@127.0.0.1:36343/main: Invalid data found when processing input\n", {
      elapsedMs: 2263,
    }),
    {
      ok: false,
      code: "timeout",
      messages: explanations.timeout(2),
      detail: "Invalid data found when processing input",
    },
  ],
  [
    "the same words at once: something answered, not RTSP (a server that hangs up, or an HTTP port)",
    failed("rtsp://u:***@127.0.0.1:41847/main: Invalid data found when processing input\n", {
      elapsedMs: 161,
    }),
    {
      ok: false,
      code: "stream_error",
      messages: explanations.notAnRtspServer,
      detail: "Invalid data found when processing input",
    },
  ],
  [
    "an RTSP server error",
    failed(
      "[rtsp @ 0x55d46b1e8280] method OPTIONS failed: 500 Internal Server Error\n" +
        "rtsp://u:***@127.0.0.1:42487/main: Server returned 5XX Server Error reply\n",
    ),
    {
      ok: false,
      code: "stream_error",
      messages: explanations.streamError("method OPTIONS failed: 500 Internal Server Error"),
      detail: "method OPTIONS failed: 500 Internal Server Error",
    },
  ],
  [
    "rtsps to a port that does not speak TLS",
    failed(
      "[tls @ 0x55c4005e40c0] An unexpected TLS packet was received.\n" +
        "rtsps://127.0.0.1:41793/main: Input/output error\n",
    ),
    {
      ok: false,
      code: "stream_error",
      messages: explanations.streamError("An unexpected TLS packet was received."),
      detail: "An unexpected TLS packet was received.",
    },
  ],
  [
    "ffprobe's own allow-list refuses another protocol",
    failed(
      "[http @ 0x55708da51ac0] Protocol 'http' not on whitelist 'rtsp,rtp,udp,tcp'!\n" +
        "http://127.0.0.1:41793/main: Invalid argument\n",
    ),
    {
      ok: false,
      code: "not_rtsp",
      messages: explanations.notRtsp,
      detail: "Protocol 'http' not on whitelist 'rtsp,rtp,udp,tcp'!",
    },
  ],
  [
    "killed at the tester's deadline",
    {
      ...base,
      exitCode: null,
      signal: "SIGKILL",
      stderr: "",
      stdout: "",
      elapsedMs: 6000,
      killed: "deadline",
    },
    {
      ok: false,
      code: "timeout",
      messages: explanations.timeout(2),
      detail: "no result before the deadline",
    },
  ],
  [
    "killed for printing too much",
    { ...base, exitCode: null, signal: "SIGKILL", stderr: "", stdout: "{", killed: "output" },
    {
      ok: false,
      code: "stream_error",
      messages: explanations.streamError("too much output"),
      detail: "too much output",
    },
  ],
  [
    "stopped by someone else, silently",
    { ...base, exitCode: null, signal: "SIGTERM", stderr: "", stdout: "" },
    {
      ok: false,
      code: "stream_error",
      messages: explanations.streamError("ffprobe stopped by SIGTERM"),
      detail: "ffprobe stopped by SIGTERM",
    },
  ],
  [
    "exit 0 with output that is not JSON",
    { ...base, exitCode: 0, stderr: "", stdout: "garbage" },
    {
      ok: false,
      code: "stream_error",
      messages: explanations.streamError("unreadable ffprobe output"),
      detail: "unreadable ffprobe output",
    },
  ],
];

describe("classifyProbe", () => {
  it.each(cases)("%s", (_name, outcome, expected) => {
    expect(classifyProbe(outcome)).toEqual(expected);
  });

  it("never lets a password or a URL's credentials into the detail", () => {
    // The tester blanks the password it knows; URLs with credentials are blanked here as well.
    const r = classifyProbe(
      failed(
        "[tcp @ 0x1] Something odd at rtsp://admin:Rahasia-123@10.0.0.5/x\n" +
          "rtsp://admin:Rahasia-123@10.0.0.5/x: Unknown error\n",
      ),
    );
    expect(JSON.stringify(r)).not.toContain("Rahasia-123");
    expect(r).toMatchObject({ code: "stream_error", detail: "Something odd at rtsp://admin:***@10.0.0.5/x" });
  });

  it("gives every refusal a sentence in both languages", () => {
    for (const [, outcome] of cases) {
      const r = classifyProbe(outcome);
      if (r.ok) continue;
      expect(r.messages.id.length).toBeGreaterThan(20);
      expect(r.messages.en.length).toBeGreaterThan(20);
      expect(r.messages.id).not.toBe(r.messages.en);
    }
  });
});

import { execFileSync } from "node:child_process";
import { getEventListeners } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeRtsp, type RtspProbeResult } from "../../gateway/src/health/rtsp-probe.js";
import { AllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { NetworkGuard } from "../../gateway/src/net/network-guard.js";
import {
  digestParams,
  digestValid,
  h264Video,
  pcmaAudio,
  rtspReply,
  sdpOf,
  startHostileRtsp,
  trickle,
  type HostileBehaviour,
  type HostileRtsp,
} from "../helpers/hostile-rtsp.js";
import { waitFor } from "../helpers/media.js";
import { randomLoopbackHost } from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The health probe against the real GStreamer RTSP camera (open, Digest, Basic, H.265) and against loopback
// servers that answer the way broken or hostile cameras do. Every failure must come back with its code
// inside the probe's deadline (bounds here are generous: deadline + 2 s), and with the socket closed.

const creds = { username: "admin", password: "Rah@sia:1/2" };
const network = new NetworkGuard(AllowedNetworks.parse(["127.0.0.0/8"]), { interfaces: () => ({}) });
const deadlineMs = 1500;
const opts = { deadlineMs, maxReplyBytes: 16 * 1024, network };
const slack = 2000;
// The GStreamer camera answers in milliseconds; a longer deadline keeps a loaded machine from failing it.
const camOpts = { ...opts, deadlineMs: 5000 };

let open: TestCamera;
let digest: TestCamera;
let basic: TestCamera;
let h265: TestCamera;
const servers: HostileRtsp[] = [];

beforeAll(async () => {
  [open, digest, basic, h265] = await Promise.all([
    startTestCamera({ width: 640, height: 360, fps: 15 }),
    startTestCamera({ ...creds, auth: "digest", width: 320, height: 240 }),
    startTestCamera({ ...creds, auth: "basic", width: 320, height: 240 }),
    startTestCamera({ codec: "h265", width: 320, height: 180 }),
  ]);
});

afterAll(async () => {
  await Promise.all([
    open.stop(),
    digest.stop(),
    basic.stop(),
    h265.stop(),
    ...servers.map((s) => s.close()),
  ]);
});

async function hostile(b: HostileBehaviour, host?: string): Promise<HostileRtsp> {
  const s = await startHostileRtsp(b, host);
  servers.push(s);
  return s;
}

/** Probes and checks the bounds every probe must keep: its deadline, and no connection left open. */
async function probe(
  url: string,
  c: { username?: string; password?: string } = {},
  server?: HostileRtsp,
  o = opts,
): Promise<RtspProbeResult> {
  const t0 = performance.now();
  const r = await probeRtsp(url, c, o);
  expect(performance.now() - t0).toBeLessThan(o.deadlineMs + slack);
  expect(r.ms).toBeLessThan(o.deadlineMs + slack);
  if (c.password !== undefined) expect(JSON.stringify(r)).not.toContain(c.password);
  if (server) await waitFor("the probe to close its connection", () => server.open() === 0, 5000);
  return r;
}

describe("against the GStreamer test camera", () => {
  it("reads codec and size from an open camera's DESCRIBE", async () => {
    const r = await probe(open.url("main"), {}, undefined, camOpts);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.video).toMatchObject({ codec: "H264", width: 640, height: 360 });
    expect(r.server).toMatch(/GStreamer/);
  });

  it("answers the camera's Digest challenge, and says auth_failed for a wrong password or none", async () => {
    const ok = await probe(digest.url("main"), creds, undefined, camOpts);
    expect(ok.error).toBeUndefined();
    expect(ok.video).toMatchObject({ codec: "H264", width: 320, height: 240 });

    const wrong = await probe(digest.url("main"), { ...creds, password: "salah-sekali" }, undefined, camOpts);
    expect(wrong.error?.code).toBe("auth_failed");
    const none = await probe(digest.url("main"), {}, undefined, camOpts);
    expect(none.error?.code).toBe("auth_failed");
    expect(none.error?.message).toMatch(/none/);
  });

  it("takes credentials written into the URL, and never repeats them", async () => {
    const url = digest.url("main", creds);
    const r = await probe(url, {}, undefined, camOpts);
    expect(r.ok).toBe(true);
    const wrong = await probe(
      digest.url("main", { username: "admin", password: "bocor-123" }),
      {},
      undefined,
      camOpts,
    );
    expect(wrong.error?.code).toBe("auth_failed");
    expect(JSON.stringify(wrong)).not.toContain("bocor-123");
  });

  it("sends Basic to a camera that offers only Basic", async () => {
    const r = await probe(basic.url("main"), creds, undefined, camOpts);
    expect(r.error).toBeUndefined();
    expect(r.video?.codec).toBe("H264");
  });

  it("names H.265, sized from its SPS", async () => {
    const r = await probe(h265.url("main"), {}, undefined, camOpts);
    expect(r.video).toMatchObject({ codec: "H265", width: 320, height: 180 });
  });

  it("a path the camera does not serve is not_found", async () => {
    const r = await probe(open.url().replace(/\/main$/, "/nothing-here"), {}, undefined, camOpts);
    expect(r.error?.code).toBe("not_found");
  });

  it("twenty cameras that never answer do not slow the probe of a good one", async () => {
    const silent = await hostile({});
    const stuck = Array.from({ length: 20 }, () =>
      probeRtsp(silent.url(), {}, { ...opts, deadlineMs: 4000 }),
    );
    // All twenty connected and waiting while the good camera is probed.
    await waitFor("twenty stuck connections", () => silent.open() === 20, 3000);
    const r = await probe(open.url("main"), {}, undefined, camOpts);
    expect(silent.open()).toBe(20);
    expect(r.ok).toBe(true);
    const results = await Promise.all(stuck);
    expect(results.map((s) => s.error?.code)).toEqual(Array(20).fill("timeout"));
    await waitFor("every stuck probe to close", () => silent.open() === 0, 5000);
  });
});

describe("against hostile RTSP servers", () => {
  it("garbage bytes are bad_reply", async () => {
    const s = await hostile({
      onRequest: (_req, socket) => socket.write(Buffer.from([0, 1, 2, 255, 254, 0xc3, 0x28, 10, 13, 10])),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("bad_reply");
  });

  it("an HTTP server on the RTSP port is bad_reply", async () => {
    const s = await hostile({
      onRequest: (_req, socket) => socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("bad_reply");
  });

  it("a server that speaks garbage before any request is bad_reply", async () => {
    const s = await hostile({ onConnection: (socket) => socket.write("SSH-2.0-OpenSSH_9.2\r\n") });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("bad_reply");
  });

  it("a header past the cap is too_large, without reading the rest", async () => {
    const s = await hostile({
      onRequest: (req, socket) => {
        socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${req.headers.cseq ?? ""}\r\nX-Junk: `);
        socket.write("A".repeat(1024 * 1024));
      },
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("too_large");
  });

  it("a body announced past the cap is too_large", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(
          req.method === "OPTIONS"
            ? rtspReply(req, 200, "OK", { Public: "OPTIONS, DESCRIBE" })
            : `RTSP/1.0 200 OK\r\nCSeq: ${req.headers.cseq ?? ""}\r\nContent-Length: 999999999\r\n\r\nv=0\r\n`,
        ),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("too_large");
  });

  it("a server that never answers is a timeout inside the deadline", async () => {
    const s = await hostile({});
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("timeout");
    expect(r.error?.message).toMatch(/OPTIONS/);
    expect(r.ms).toBeGreaterThanOrEqual(deadlineMs - 50);
  });

  it("one byte a second is a timeout inside the deadline", async () => {
    const s = await hostile({
      onRequest: (req, socket) => trickle(socket, rtspReply(req, 200, "OK", { Public: "DESCRIBE" }), 1000),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("timeout");
  });

  it("a 401 loop ends after one answer to the challenge", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(
          rtspReply(req, 401, "Unauthorized", {
            "WWW-Authenticate": `Digest realm="x", nonce="${String(req.n)}"`,
          }),
        ),
    });
    const r = await probe(s.url(), creds, s);
    expect(r.error?.code).toBe("auth_failed");
    expect(s.requests.map((q) => [q.method, q.headers.authorization !== undefined])).toEqual([
      ["OPTIONS", false],
      ["OPTIONS", true],
    ]);
  });

  it("Basic is sent only after the camera asked for it", async () => {
    const expected = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    const s = await hostile({
      onRequest: (req, socket) => {
        if (req.headers.authorization !== expected) {
          socket.write(rtspReply(req, 401, "Unauthorized", { "WWW-Authenticate": 'Basic realm="IPCam"' }));
        } else if (req.method === "OPTIONS") {
          socket.write(rtspReply(req, 200, "OK", { Public: "OPTIONS, DESCRIBE" }));
        } else {
          socket.write(rtspReply(req, 200, "OK", { "Content-Type": "application/sdp" }, sdpOf(h264Video)));
        }
      },
    });
    const r = await probe(s.url(), creds, s);
    expect(r.error).toBeUndefined();
    expect(r.video).toEqual({ codec: "H264", width: 1280, height: 720 });
    // The first request carries nothing; DESCRIBE answers the challenge OPTIONS met, without a 401 first.
    expect(s.requests.map((q) => [q.method, q.headers.authorization ?? null])).toEqual([
      ["OPTIONS", null],
      ["OPTIONS", expected],
      ["DESCRIBE", expected],
    ]);
  });

  it("a camera offering Digest and Basic gets Digest, checked by the server", async () => {
    const realm = "Hikvision";
    const nonce = "c2VjcmV0LW5vbmNl";
    const s = await hostile({
      onRequest: (req, socket) => {
        if (!digestValid(req.headers.authorization, req.method, { ...creds, realm, nonce })) {
          socket.write(
            rtspReply(req, 401, "Unauthorized", {
              "WWW-Authenticate": [`Basic realm="${realm}"`, `Digest realm="${realm}", nonce="${nonce}"`],
            }),
          );
        } else if (req.method === "OPTIONS") {
          socket.write(rtspReply(req, 200, "OK", { Public: "OPTIONS, DESCRIBE", Server: "Hostile/1.0" }));
        } else {
          socket.write(
            rtspReply(req, 200, "OK", { "Content-Type": "application/sdp" }, sdpOf(h264Video, pcmaAudio)),
          );
        }
      },
    });
    const r = await probe(s.url("/Streaming/Channels/101"), creds, s);
    expect(r.error).toBeUndefined();
    expect(r.server).toBe("Hostile/1.0");
    const sent = s.requests.map((q) => digestParams(q.headers.authorization));
    expect(sent[0]).toBeUndefined();
    expect(sent[1]?.uri).toBe(s.url("/Streaming/Channels/101"));
    expect(s.requests.every((q) => !/^Basic/i.test(q.headers.authorization ?? ""))).toBe(true);
  });

  it("Digest with qop=auth, and a stale nonce answered once more", async () => {
    const realm = "cam";
    let nonce = "first";
    const s = await hostile({
      onRequest: (req, socket) => {
        const valid = digestValid(req.headers.authorization, req.method, { ...creds, realm, nonce });
        if (valid && req.method === "DESCRIBE" && nonce === "first") {
          // The nonce OPTIONS used has expired by DESCRIBE.
          nonce = "second";
          socket.write(
            rtspReply(req, 401, "Unauthorized", {
              "WWW-Authenticate": `Digest realm="${realm}", nonce="${nonce}", qop="auth", stale=TRUE`,
            }),
          );
        } else if (!valid) {
          socket.write(
            rtspReply(req, 401, "Unauthorized", {
              "WWW-Authenticate": `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`,
            }),
          );
        } else if (req.method === "OPTIONS") {
          socket.write(rtspReply(req, 200, "OK"));
        } else {
          socket.write(rtspReply(req, 200, "OK", { "Content-Type": "application/sdp" }, sdpOf(h264Video)));
        }
      },
    });
    const r = await probe(s.url(), creds, s);
    expect(r.error).toBeUndefined();
    expect(s.requests.map((q) => q.method)).toEqual(["OPTIONS", "OPTIONS", "DESCRIBE", "DESCRIBE"]);
    expect(digestParams(s.requests[3]?.headers.authorization)).toMatchObject({
      qop: "auth",
      nonce: "second",
    });
  });

  it("an authentication it cannot answer is unsupported, and sends no password", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(
          rtspReply(req, 401, "Unauthorized", {
            "WWW-Authenticate": 'Digest realm="x", nonce="n", algorithm=SHA-256',
          }),
        ),
    });
    const r = await probe(s.url(), creds, s);
    expect(r.error?.code).toBe("unsupported");
    expect(s.requests).toHaveLength(1);
  });

  it("404 to DESCRIBE is not_found; the query's password stays out of the message", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(req.method === "OPTIONS" ? rtspReply(req, 200, "OK") : rtspReply(req, 404, "Not Found")),
    });
    const r = await probe(`${s.url("/cam/realmonitor")}?channel=1&user=admin&password=`, creds, s);
    expect(r.error?.code).toBe("not_found");
    expect(r.error?.message).toContain("/cam/realmonitor");
    // The password went on the wire (the camera takes it there), and nowhere else.
    expect(s.requests[1]?.uri).toContain(`password=${encodeURIComponent(creds.password)}`);
  });

  it("an SDP without video is no_video", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(
          req.method === "OPTIONS"
            ? rtspReply(req, 200, "OK")
            : rtspReply(req, 200, "OK", { "Content-Type": "application/sdp" }, sdpOf(pcmaAudio)),
        ),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("no_video");
    expect(r.error?.message).toMatch(/audio/);
  });

  it("a 200 without an SDP is bad_reply", async () => {
    const s = await hostile({
      onRequest: (req, socket) =>
        socket.write(rtspReply(req, 200, "OK", { "Content-Type": "text/html" }, "<html>hello</html>")),
    });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("bad_reply");
  });

  it("a server that hangs up mid-reply is bad_reply", async () => {
    const s = await hostile({ onRequest: (_req, socket) => socket.end("RTSP/1.0 200 OK\r\nCSe") });
    const r = await probe(s.url(), {}, s);
    expect(r.error?.code).toBe("bad_reply");
  });

  it("an address outside the allowed networks is not_allowed, and nothing is sent", async () => {
    const s = await hostile(
      { onRequest: (req, socket) => socket.write(rtspReply(req, 200, "OK")) },
      randomLoopbackHost(),
    );
    const narrow = new NetworkGuard(AllowedNetworks.parse(["127.0.0.1/32"]), { interfaces: () => ({}) });
    const r = await probe(s.url(), creds, s, { ...opts, network: narrow });
    expect(r.error?.code).toBe("not_allowed");
    expect(s.connections()).toBe(0);
  });

  it("a closed port is unreachable", async () => {
    const s = await startHostileRtsp({});
    const url = s.url();
    await s.close();
    const r = await probe(url);
    expect(r.error?.code).toBe("unreachable");
  });

  it("a scheme other than rtsp is unsupported", async () => {
    const r = await probe("http://127.0.0.1:1/x");
    expect(r.error?.code).toBe("unsupported");
  });

  it("a signal shared by many probes keeps no listener of theirs", async () => {
    const s = await hostile({ onRequest: (req, socket) => socket.write(rtspReply(req, 404, "Not Found")) });
    const shared = new AbortController();
    const rs = await Promise.all(
      Array.from({ length: 30 }, () => probeRtsp(s.url(), {}, { ...opts, signal: shared.signal })),
    );
    expect(new Set(rs.map((r) => r.error?.code))).toEqual(new Set(["not_found"]));
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
  });

  it("aborting rejects with the signal's reason and closes the connection", async () => {
    const s = await hostile({});
    const ac = new AbortController();
    const p = probeRtsp(s.url(), {}, { ...opts, deadlineMs: 30_000, signal: ac.signal });
    await waitFor("the connection", () => s.connections() === 1, 5000);
    ac.abort(new Error("gateway closing"));
    await expect(p).rejects.toThrow("gateway closing");
    await waitFor("the probe to close its connection", () => s.open() === 0, 5000);
  });
});

describe("rtsps://", () => {
  let cert: { key: string; cert: string };
  beforeAll(() => {
    // A self-signed certificate, as cameras carry; made here by Debian's openssl.
    const dir = mkdtempSync(join(tmpdir(), "pantau-rtsps-"));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-subj",
          "/CN=ipcam.local",
          "-days",
          "1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      cert = {
        key: readFileSync(join(dir, "key.pem"), "utf8"),
        cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("probes over TLS with a self-signed certificate, Digest inside", async () => {
    const realm = "tls-cam";
    const nonce = "tls-nonce";
    const s = await startHostileRtsp(
      {
        onRequest: (req, socket) => {
          if (!digestValid(req.headers.authorization, req.method, { ...creds, realm, nonce })) {
            socket.write(
              rtspReply(req, 401, "Unauthorized", {
                "WWW-Authenticate": `Digest realm="${realm}", nonce="${nonce}"`,
              }),
            );
          } else if (req.method === "OPTIONS") {
            socket.write(rtspReply(req, 200, "OK"));
          } else {
            socket.write(rtspReply(req, 200, "OK", { "Content-Type": "application/sdp" }, sdpOf(h264Video)));
          }
        },
      },
      "127.0.0.1",
      cert,
    );
    servers.push(s);
    expect(s.url()).toMatch(/^rtsps:/);
    const r = await probe(s.url(), creds, s);
    expect(r.error).toBeUndefined();
    expect(r.video?.codec).toBe("H264");
  });

  it("a plain RTSP server behind rtsps:// fails inside the deadline", async () => {
    const s = await hostile({ onConnection: (socket) => socket.end("RTSP/1.0 400 Bad Request\r\n\r\n") });
    const r = await probe(s.url().replace(/^rtsp:/, "rtsps:"), {}, s);
    expect(r.error?.code).toBe("bad_reply");
    expect(r.error?.message).toMatch(/TLS/);
  });
});

import { describe, expect, it } from "vitest";
import { parseChallenges, parseReply, safeRtspUrl } from "../../gateway/src/health/rtsp-probe.js";

// The pure parts of the RTSP probe: reading a reply off the wire, reading challenges, showing a URL.

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe("parseReply", () => {
  const ok =
    "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n";

  it("reads status, headers (repeated ones kept) and a body, and says how many bytes it took", () => {
    const two = Buffer.from(
      'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Basic realm="a"\r\nwww-authenticate: Digest realm="a", nonce="n"\r\n\r\n' +
        "RTSP/1.0 200",
    );
    const r = parseReply(two, 4096, "OPTIONS");
    expect(r?.reply.status).toBe(401);
    expect(r?.reply.reason).toBe("Unauthorized");
    expect(r?.reply.headers.get("www-authenticate")).toHaveLength(2);
    expect(two.subarray(r?.used).toString()).toBe("RTSP/1.0 200");
    const withBody = parseReply(Buffer.from(ok), 4096, "DESCRIBE");
    expect(withBody?.reply.body.toString()).toBe("v=0\r\n");
  });

  it("waits for the rest of a reply cut anywhere", () => {
    for (let cut = 1; cut < ok.length; cut++) {
      expect(parseReply(Buffer.from(ok.slice(0, cut)), 4096, "DESCRIBE")).toBeUndefined();
    }
  });

  it("takes bare LF line ends", () => {
    expect(
      parseReply(Buffer.from("RTSP/1.0 404 Not Found\nCSeq: 1\n\n"), 4096, "DESCRIBE")?.reply.status,
    ).toBe(404);
  });

  it("refuses what is not RTSP as soon as it can tell", () => {
    expect(codeOf(() => parseReply(Buffer.from("HTTP/1.1 200 OK\r\n\r\n"), 4096, "OPTIONS"))).toBe(
      "bad_reply",
    );
    expect(codeOf(() => parseReply(Buffer.from("X"), 4096, "OPTIONS"))).toBe("bad_reply");
    expect(codeOf(() => parseReply(Buffer.from("RTSP/1.0 abc\r\n\r\n"), 4096, "OPTIONS"))).toBe("bad_reply");
    expect(
      codeOf(() => parseReply(Buffer.from("RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n"), 4096, "X")),
    ).toBe("bad_reply");
  });

  it("refuses headers, or a body announced, past the cap", () => {
    expect(
      codeOf(() => parseReply(Buffer.from(`RTSP/1.0 200 OK\r\nX: ${"a".repeat(200)}`), 100, "OPTIONS")),
    ).toBe("too_large");
    expect(
      codeOf(() => parseReply(Buffer.from("RTSP/1.0 200 OK\r\nContent-Length: 90\r\n\r\n"), 100, "D")),
    ).toBe("too_large");
  });
});

describe("parseChallenges", () => {
  it("reads one challenge per header, and several in one header", () => {
    expect(
      parseChallenges([
        'Digest realm="IP Camera(C1234)", nonce="abc", stale="FALSE"',
        'Basic realm="IP Camera(C1234)"',
      ]),
    ).toEqual([
      { scheme: "digest", params: { realm: "IP Camera(C1234)", nonce: "abc", stale: "FALSE" } },
      { scheme: "basic" },
    ]);
    expect(parseChallenges(['Basic realm="a", Digest realm="a", nonce="n", qop="auth"'])).toEqual([
      { scheme: "basic" },
      { scheme: "digest", params: { realm: "a", nonce: "n", qop: "auth" } },
    ]);
  });

  it("leaves out what it cannot read", () => {
    expect(parseChallenges(["Negotiate abc", 'Digest realm="no nonce"', ""])).toEqual([]);
  });
});

describe("safeRtspUrl", () => {
  it("drops user info and query", () => {
    expect(safeRtspUrl("rtsp://admin:rahasia@10.0.0.5:554/cam/realmonitor?channel=1&password=rahasia")).toBe(
      "rtsp://10.0.0.5:554/cam/realmonitor",
    );
    expect(safeRtspUrl("::")).toBe("(invalid URL)");
  });
});

import { describe, expect, it } from "vitest";
import { suggestProfiles } from "../../gateway/src/onvif/profile-choice.js";
import type { OnvifProfile } from "../../gateway/src/onvif/onvif-replies.js";
import {
  AllowedNetworks,
  defaultAllowedNetworks,
  refusalOf,
} from "../../gateway/src/net/allowed-networks.js";
import { MAX_SCAN_HOSTS, ScanTargetError, scanHosts } from "../../gateway/src/net/scan-targets.js";

const noLocal = { own: [], broadcast: [] };
import { chooseDeviceUrl, normalizeEndpoint } from "../../gateway/src/onvif/ws-discovery.js";
import { onHost } from "../../gateway/src/onvif/onvif-inspector.js";
import { usernameToken } from "../../gateway/src/onvif/ws-security.js";
import { digestAuthorization, parseDigestChallenge } from "../../gateway/src/onvif/http-digest.js";

const p = (token: string, encoding: string, width: number, height: number, fps = 25): OnvifProfile => ({
  token,
  name: token,
  encoding,
  width,
  height,
  fps,
  bitrateKbps: undefined,
});

describe("suggestProfiles", () => {
  it.each([
    [
      "hikvision main/sub",
      [p("Profile_1", "H264", 1920, 1080), p("Profile_2", "H264", 640, 360)],
      "Profile_1",
      "Profile_2",
    ],
    ["order does not matter", [p("s", "H264", 640, 360), p("m", "H264", 2560, 1440)], "m", "s"],
    [
      "smallest sub at least 320 wide, not a tiny one",
      [
        p("m", "H264", 1920, 1080),
        p("t", "H264", 176, 144),
        p("a", "H264", 704, 576),
        p("b", "H264", 352, 288),
      ],
      "m",
      "b",
    ],
    [
      "an H.264 main beats a larger H.265 one",
      [p("m", "H265", 2560, 1440), p("s", "H264", 640, 360)],
      "s",
      null,
    ],
    ["all H.265: largest, no sub", [p("m", "H265", 2560, 1440), p("s", "H265", 640, 360)], "m", null],
    ["JPEG never chosen", [p("j", "JPEG", 1920, 1080), p("h", "H264", 1280, 720)], "h", null],
    ["nothing playable", [p("j", "JPEG", 1920, 1080)], null, null],
    ["one profile", [p("only", "H264", 1280, 720)], "only", null],
    [
      "equal sizes: more fps is main, no equal-size sub",
      [p("a", "H264", 1280, 720, 15), p("b", "H264", 1280, 720, 30)],
      "b",
      null,
    ],
    ["empty", [], null, null],
  ])("%s", (_name, profiles, main, sub) => {
    expect(suggestProfiles(profiles)).toEqual({ main, sub });
  });
});

describe("scanHosts", () => {
  it("expands a /24 without network and broadcast", () => {
    const hosts = scanHosts({ cidr: "192.168.10.0/24" });
    expect(hosts).toHaveLength(254);
    expect(hosts[0]).toBe("192.168.10.1");
    expect(hosts.at(-1)).toBe("192.168.10.254");
  });
  it("normalises a range given by one of its hosts, merges a host list, no duplicates", () => {
    expect(scanHosts({ cidr: "10.1.2.77/30", hosts: ["10.1.2.77", "172.16.0.9"] })).toEqual([
      "10.1.2.77",
      "10.1.2.78",
      "172.16.0.9",
    ]);
  });
  it("without a network check, checks only the form: /32, loopback, link-local and CGNAT", () => {
    expect(scanHosts({ cidr: "127.0.0.5/32" })).toEqual(["127.0.0.5"]);
    expect(scanHosts({ hosts: ["169.254.1.1", "100.64.0.1"] })).toHaveLength(2);
  });
  it("takes a /22 (1022 hosts) and no more", () => {
    expect(scanHosts({ cidr: "10.0.0.0/22" })).toHaveLength(1022);
    expect(() => scanHosts({ cidr: "10.0.0.0/21" })).toThrow(/at most 1024/);
  });
  it.each([
    [{ cidr: "8.8.8.0/24" }, "cidr", /outside the networks cameras may be on/],
    [{ hosts: ["1.1.1.1"] }, "hosts", /outside the networks cameras may be on/],
    [{ cidr: "192.168.1.0" }, "cidr", /not an IPv4 range/],
    [{ cidr: "192.168.1.0/33" }, "cidr", /too large|not an IPv4/],
    [{ cidr: "999.1.1.0/24" }, "cidr", /not an IPv4 address/],
    [{ hosts: ["camera.local"] }, "hosts", /not an IPv4 address/],
    [{ hosts: ["::1"] }, "hosts", /not an IPv4 address/],
    [{ hosts: ["192.168.1.1; rm -rf /"] }, "hosts", /not an IPv4 address/],
    [
      { cidr: "10.0.0.0/24", hosts: Array.from({ length: 900 }, (_, i) => `10.1.${i >> 8}.${i & 255}`) },
      "hosts",
      /at most/,
    ],
  ])("refuses %j", (input, field, message) => {
    try {
      scanHosts(input, (a) => refusalOf(a, AllowedNetworks.parse(defaultAllowedNetworks), noLocal));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScanTargetError);
      expect((e as ScanTargetError).field).toBe(field);
      expect((e as Error).message).toMatch(message);
    }
  });
  it("MAX_SCAN_HOSTS is a /22", () => expect(MAX_SCAN_HOSTS).toBe(1024));
});

describe("chooseDeviceUrl: a datagram cannot aim the gateway at another host", () => {
  it.each([
    [
      ["http://192.168.1.64/onvif/device_service"],
      "192.168.1.64",
      "http://192.168.1.64/onvif/device_service",
      false,
    ],
    [
      ["http://[fe80::1]/onvif/device_service", "http://192.168.1.64:8000/onvif/device_service"],
      "192.168.1.64",
      "http://192.168.1.64:8000/onvif/device_service",
      false,
    ],
    [
      ["http://10.9.9.9:8080/onvif/device_service"],
      "192.168.1.64",
      "http://192.168.1.64:8080/onvif/device_service",
      true,
    ],
    [
      ["http://169.254.169.254/latest/meta-data"],
      "192.168.1.64",
      "http://192.168.1.64/latest/meta-data",
      true,
    ],
    [["https://192.168.1.64/onvif/device_service"], "192.168.1.64", null, false],
    [["file:///etc/passwd", "not a url"], "192.168.1.64", null, false],
    [[], "192.168.1.64", null, false],
  ])("%j from %s", (xaddrs, from, url, rewritten) => {
    expect(chooseDeviceUrl(xaddrs, from)).toEqual({ url, rewritten });
  });
});

describe("onHost", () => {
  it("keeps a URI on the camera's host and drops credentials a camera put into it", () => {
    expect(
      onHost(
        "rtsp://admin:12345@192.168.1.64:554/Streaming/Channels/101?transportmode=unicast",
        "192.168.1.64",
      ),
    ).toEqual({
      url: "rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast",
      rewritten: false,
    });
    expect(onHost("rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0", "192.168.1.108")).toEqual({
      url: "rtsp://192.168.1.108/cam/realmonitor?channel=1&subtype=0",
      rewritten: true,
    });
  });
});

describe("usernameToken", () => {
  it("matches the ONVIF Application Programmer's Guide example", () => {
    const t = usernameToken(
      { username: "user", password: "userpassword" },
      new Date("2010-09-16T07:50:45Z"),
      Buffer.from("LKqI6G/AikKCQrN0zqZFlg==", "base64"),
    );
    expect(t.digest).toBe("tuOSpGlFlIXsozq4HFNeeGeFLEI=");
    expect(t.xml).toContain("<wsu:Created>2010-09-16T07:50:45Z</wsu:Created>");
    expect(t.xml).toContain("<wsse:Nonce EncodingType=");
  });
  it("escapes a username with markup", () => {
    expect(usernameToken({ username: "a<b&c", password: "x" }, new Date(0)).xml).toContain(
      "<wsse:Username>a&#60;b&#38;c</wsse:Username>",
    );
  });
});

describe("normalizeEndpoint", () => {
  it.each([
    ["urn:uuid:18ec6401-3aa0-11b5-83f6-b4a382000001", "urn:uuid:18ec6401-3aa0-11b5-83f6-b4a382000001"],
    // Dahua's spelling of the same kind of identity.
    ["uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6", "urn:uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6"],
    ["URN:UUID:2A46DAF1-86F6-91AD-5458-3D184EB186F6", "urn:uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6"],
    [" urn:uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6\n", "urn:uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6"],
    ["http://192.168.1.64/device", "http://192.168.1.64/device"],
    ["uuid:not-a-uuid", "uuid:not-a-uuid"],
  ])("%j → %s", (input, output) => {
    expect(normalizeEndpoint(input)).toBe(output);
  });
});

describe("HTTP Digest for cameras that want it", () => {
  const challenge = parseDigestChallenge(
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  );
  it("reads a challenge", () => {
    expect(challenge).toEqual({
      realm: "testrealm@host.com",
      qop: "auth,auth-int",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      opaque: "5ccc069c403ebaf9f0171e9517f40e41",
    });
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge("Digest garbage")).toBeUndefined();
    expect(parseDigestChallenge(undefined)).toBeUndefined();
  });
  it("answers it as RFC 2617's example does", () => {
    const header = digestAuthorization(
      challenge ?? {},
      { username: "Mufasa", password: "Circle Of Life" },
      "GET",
      "/dir/index.html",
      "0a4f113b",
    );
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });
  it("declines what it cannot answer", () => {
    expect(
      digestAuthorization(
        { realm: "r", nonce: "n", algorithm: "SHA-256" },
        { username: "a", password: "b" },
        "POST",
        "/",
      ),
    ).toBeUndefined();
    expect(
      digestAuthorization(
        { realm: "r", nonce: "n", qop: "auth-int" },
        { username: "a", password: "b" },
        "POST",
        "/",
      ),
    ).toBeUndefined();
  });
});

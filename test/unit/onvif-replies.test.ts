import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseDeviceInformation,
  parseMediaUri,
  parseMediaXaddr,
  parseProbeMatches,
  parseProfiles,
  parseScopes,
  parseSystemDateAndTime,
  soapBody,
  soapFault,
} from "../../gateway/src/onvif/onvif-replies.js";
import { suggestProfiles } from "../../gateway/src/onvif/profile-choice.js";
import { parseXml, XmlError } from "../../gateway/src/onvif/xml.js";

// Replies captured from real Hikvision and Dahua cameras (test/fixtures/onvif/README.md says which are
// captures and which are written in the vendor's style).
const fixture = (vendor: string, name: string) =>
  readFileSync(new URL(`../fixtures/onvif/${vendor}/${name}.xml`, import.meta.url), "utf8");
const doc = (vendor: string, name: string) => parseXml(fixture(vendor, name), 512 * 1024);
const body = (vendor: string, name: string) => {
  const b = soapBody(doc(vendor, name));
  if (!b) throw new Error("no body");
  return b;
};

const expected = {
  hikvision: {
    endpoint: "urn:uuid:18ec6401-3aa0-11b5-83f6-b4a382000001",
    xaddrs: [
      "http://192.168.1.64/onvif/device_service",
      "http://[fe80::b6a3:82ff:fe00:1]/onvif/device_service",
    ],
    scopes: { name: "HIKVISION DS-2CD3955FWD-IWS", hardware: "DS-2CD3955FWD-IWS", location: "city/hangzhou" },
    time: "2020-04-29T07:25:17.000Z",
    info: {
      manufacturer: "HIKVISION",
      model: "iDS-2PT91JNLC-CS/CXS",
      firmwareVersion: "V5.5.23 build 190821",
      serialNumber: "iDS-2PT91JNLC-CS/CXS20190924CCCHD00000001",
      hardwareId: "88",
    },
    media: "http://192.168.1.64/onvif/Media",
    profiles: [
      {
        token: "Profile_1",
        name: "mainStream",
        encoding: "H264",
        width: 1600,
        height: 1200,
        fps: 25,
        bitrateKbps: 4096,
      },
      {
        token: "Profile_2",
        name: "subStream",
        encoding: "H264",
        width: 720,
        height: 576,
        fps: 25,
        bitrateKbps: 512,
      },
    ],
    suggested: { main: "Profile_1", sub: "Profile_2" },
    // `&amp;` in the captured XML is a plain `&` in the URI.
    stream: "rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_101",
    snapshot: "http://192.168.1.64/onvif-http/snapshot?Profile_1",
    fault: {
      code: "Sender",
      subcode: "NotAuthorized",
      reason: "The action requested requires authorization and the sender is not authorized",
    },
  },
  dahua: {
    // Dahua firmware (Amcrest OEM) names itself `uuid:…`, not `urn:uuid:…`: kept as sent.
    endpoint: "uuid:2a46daf1-86f6-91ad-5458-3d184eb186f6",
    xaddrs: ["http://192.168.1.108/onvif/device_service"],
    scopes: { name: "Amcrest", hardware: "IP5M-B1186E", location: "country/china" },
    time: "2025-10-09T06:38:42.000Z",
    info: {
      manufacturer: "Dahua",
      model: "IPC-HFW2228M-I1-V2",
      firmwareVersion: "2.800.0000000.16.R, Build Date 2020-08-20",
      serialNumber: "6J0A1B2PAZ00000",
      hardwareId: "1.00",
    },
    media: "http://192.168.1.123/onvif/media_service",
    profiles: [
      {
        token: "MediaProfile00000",
        name: "MediaProfile_Channel1_MainStream",
        encoding: "H264",
        width: 2592,
        height: 1944,
        fps: 20,
        bitrateKbps: 6144,
      },
      {
        token: "MediaProfile00001",
        name: "MediaProfile_Channel1_SubStream1",
        encoding: "H264",
        width: 704,
        height: 480,
        fps: 20,
        bitrateKbps: 512,
      },
    ],
    suggested: { main: "MediaProfile00000", sub: "MediaProfile00001" },
    stream: "rtsp://192.168.1.123:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif",
    snapshot: "http://192.168.1.123/onvifsnapshot/media_service/snapshot?channel=1&subtype=1",
    fault: { code: "Sender", subcode: "NotAuthorized", reason: "Sender not Authorized" },
  },
} as const;

describe.each(Object.entries(expected))("%s replies", (vendor, want) => {
  it("ProbeMatches: endpoint, types, XAddrs, scopes", () => {
    const { matches } = parseProbeMatches(doc(vendor, "ProbeMatches"));
    expect(matches).toHaveLength(1);
    expect(matches[0]?.endpoint).toBe(want.endpoint);
    expect(matches[0]?.types).toContain("dn:NetworkVideoTransmitter");
    expect(matches[0]?.xaddrs).toEqual(want.xaddrs);
    expect(parseScopes(matches[0]?.scopes ?? [])).toEqual(want.scopes);
  });
  it("GetSystemDateAndTime: the UTC clock", () => {
    expect(parseSystemDateAndTime(body(vendor, "GetSystemDateAndTime"))?.toISOString()).toBe(want.time);
  });
  it("GetDeviceInformation", () => {
    expect(parseDeviceInformation(body(vendor, "GetDeviceInformation"))).toEqual(want.info);
  });
  it("GetCapabilities: the media XAddr", () => {
    expect(parseMediaXaddr(body(vendor, "GetCapabilities"))).toBe(want.media);
  });
  it("GetProfiles: encoding, resolution, fps, bitrate; main and sub suggested", () => {
    const profiles = parseProfiles(body(vendor, "GetProfiles"));
    expect(profiles).toEqual(want.profiles);
    expect(suggestProfiles(profiles ?? [])).toEqual(want.suggested);
  });
  it("GetStreamUri and GetSnapshotUri", () => {
    expect(parseMediaUri(body(vendor, "GetStreamUri"), "GetStreamUriResponse")).toBe(want.stream);
    expect(parseMediaUri(body(vendor, "GetSnapshotUri"), "GetSnapshotUriResponse")).toBe(want.snapshot);
  });
  it("a wrong password's fault", () => {
    expect(soapFault(body(vendor, "NotAuthorized"))).toEqual(want.fault);
  });
  it("no fault in a good reply", () => {
    expect(soapFault(body(vendor, "GetProfiles"))).toBeUndefined();
  });
  it.each(["ProbeMatches", "GetProfiles", "GetStreamUri", "GetSystemDateAndTime"])(
    "%s cut in half is refused, not half read",
    (name) => {
      const text = fixture(vendor, name);
      expect(() => parseXml(text.slice(0, Math.floor(text.length / 2)), 512 * 1024)).toThrow(XmlError);
    },
  );
});

describe("malformed and hostile XML", () => {
  const profiles = fixture("hikvision", "GetProfiles");
  it.each([
    ["empty", ""],
    ["not XML", "HTTP/1.1 200 OK"],
    ["HTML error page", "<html><body><h1>404 Not Found</h1><br></body></html>"],
    ["two roots", "<a/><b/>"],
    ["unknown entity", "<a>&nbsp;</a>"],
    [
      "billion laughs",
      `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>`,
    ],
    ["external entity", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`],
    ["binary garbage", "\u0000\u0001\u0002<\u00ff"],
    ["mismatched tags", profiles.replace("</tt:Name>", "</tt:Nama>")],
  ])("%s → XmlError", (_name, text) => {
    expect(() => parseXml(text, 512 * 1024)).toThrow(XmlError);
  });

  it("oversized is refused before parsing", () => {
    expect(() => parseXml(`<a>${"x".repeat(600_000)}</a>`, 512 * 1024)).toThrow(/larger than/);
  });

  it("deep nesting is parsed without exhausting the stack", () => {
    const depth = 50_000;
    expect(() => parseXml("<a>".repeat(depth) + "</a>".repeat(depth), 512 * 1024)).not.toThrow();
  });

  it("well-formed but wrong replies give nothing, not a crash", () => {
    const notSoap = parseXml("<Envelope><NotBody/></Envelope>", 4096);
    expect(soapBody(notSoap)).toBeUndefined();
    const empty = soapBody(parseXml(`<s:Envelope xmlns:s="x"><s:Body/></s:Envelope>`, 4096));
    expect(empty).toEqual({});
    expect(parseProfiles(empty ?? {})).toBeUndefined();
    expect(parseDeviceInformation(empty ?? {})).toBeUndefined();
    expect(parseSystemDateAndTime(empty ?? {})).toBeUndefined();
    expect(parseProbeMatches(notSoap)).toEqual({ relatesTo: undefined, matches: [] });
  });

  it("profiles without a token or a video encoder are skipped; odd numbers become undefined", () => {
    const xml = `<s:Envelope xmlns:s="x"><s:Body><GetProfilesResponse>
      <Profiles><Name>no token</Name><VideoEncoderConfiguration><Encoding>H264</Encoding></VideoEncoderConfiguration></Profiles>
      <Profiles token="audio"><Name>audio only</Name></Profiles>
      <Profiles token="p"><VideoEncoderConfiguration><Encoding>h265</Encoding>
        <Resolution><Width>1e9</Width><Height>-</Height></Resolution><RateControl><FrameRateLimit>0</FrameRateLimit></RateControl>
      </VideoEncoderConfiguration></Profiles></GetProfilesResponse></s:Body></s:Envelope>`;
    const b = soapBody(parseXml(xml, 4096)) ?? {};
    expect(parseProfiles(b)).toEqual([
      {
        token: "p",
        name: "p",
        encoding: "H265",
        width: undefined,
        height: undefined,
        fps: undefined,
        bitrateKbps: undefined,
      },
    ]);
  });

  it("an impossible date is no clock", () => {
    const xml = `<s:Envelope xmlns:s="x"><s:Body><GetSystemDateAndTimeResponse><SystemDateAndTime><UTCDateTime>
      <Time><Hour>1</Hour><Minute>2</Minute><Second>3</Second></Time><Date><Year>99999</Year><Month>1</Month><Day>1</Day></Date>
      </UTCDateTime></SystemDateAndTime></GetSystemDateAndTimeResponse></s:Body></s:Envelope>`;
    expect(parseSystemDateAndTime(soapBody(parseXml(xml, 4096)) ?? {})).toBeUndefined();
  });

  it("a SOAP 1.1 fault is read too", () => {
    const xml = `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>
      <faultcode>ter:NotAuthorized</faultcode><faultstring>Unauthorized</faultstring></e:Fault></e:Body></e:Envelope>`;
    expect(soapFault(soapBody(parseXml(xml, 4096)) ?? {})).toEqual({
      code: "NotAuthorized",
      subcode: "NotAuthorized",
      reason: "Unauthorized",
    });
  });

  it("scopes that are not percent-encoded are kept as sent", () => {
    expect(
      parseScopes([
        "onvif://www.onvif.org/name/100%_camera",
        "onvif://www.onvif.org/location/country/id",
        "onvif://www.onvif.org/location/city/Bandung",
      ]),
    ).toEqual({
      name: "100%_camera",
      hardware: undefined,
      location: "country/id, city/Bandung",
    });
  });
});

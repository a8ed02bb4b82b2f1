import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomLoopbackHost, startOnvifCamera, type OnvifCamera } from "../helpers/onvif-camera.js";
import { parseXml } from "../../gateway/src/onvif/xml.js";

// The ONVIF camera simulator on loopback, through the wire formats a real client uses: what the
// gateway's discovery and onboarding tests rely on it for. The digest is computed here by hand, not
// with the gateway's client, so the two cannot share a mistake.

const SKEW_SECONDS = -3600;
const MAIN_URI = "rtsp://127.0.0.1:8554/main";
const WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const PASSWORD_DIGEST =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";

// Prefixes dropped (the gateway's own reader): these assertions are about values; namespace handling is
// checked where it matters.
const xml = { parse: (text: string): any => parseXml(text, 1 << 20) };

// A random 127.x.y.z per run, so parallel test files each own port 3702 on their own address.
const host = randomLoopbackHost();
let camera: OnvifCamera;
let udp: Socket;

beforeAll(async () => {
  camera = await startOnvifCamera({
    host,
    skewSeconds: SKEW_SECONDS,
    maxDelayMs: 0,
    mainUri: MAIN_URI,
    username: "admin",
    password: "kelas-1A",
  });
  udp = createSocket("udp4");
  await new Promise<void>((resolve) => udp.bind(0, host, resolve));
});

afterAll(async () => {
  udp.close();
  await camera.stop();
});

function probe(messageId: string, types: string): string {
  // A prefix no camera expects, to prove Types are matched by namespace, not by "dn:".
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"' +
    ' xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"' +
    ' xmlns:nvt="http://www.onvif.org/ver10/network/wsdl"' +
    ' xmlns:pub="http://schemas.microsoft.com/windows/pub/2005/07">' +
    `<e:Header><w:MessageID>${messageId}</w:MessageID>` +
    "<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>" +
    "<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>" +
    `<e:Body><wsd:Probe><wsd:Types>${types}</wsd:Types><wsd:Scopes/></wsd:Probe></e:Body></e:Envelope>`
  );
}

function nextDatagram(timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      udp.off("message", onMessage);
      reject(new Error(`no datagram within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: Buffer) => {
      clearTimeout(timer);
      resolve(msg.toString("utf8"));
    };
    udp.once("message", onMessage);
  });
}

function send(datagram: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    udp.send(datagram, camera.discoveryPort, host, (err) => (err ? reject(err) : resolve())),
  );
}

function relatesTo(reply: string): unknown {
  return xml.parse(reply).Envelope.Header.RelatesTo;
}

function usernameToken(password: string, created: Date): string {
  const nonce = randomBytes(16);
  const createdText = created.toISOString();
  const digest = createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(createdText), Buffer.from(password)]))
    .digest("base64");
  return (
    `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"><wsse:UsernameToken>` +
    "<wsse:Username>admin</wsse:Username>" +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${digest}</wsse:Password>` +
    `<wsse:Nonce>${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${createdText}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

async function soap(
  url: string,
  body: string,
  header = "",
): Promise<{ status: number; doc: any; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/soap+xml; charset=utf-8" },
    body:
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
      `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`,
  });
  const text = await response.text();
  return { status: response.status, doc: xml.parse(text), text };
}

const DEVICE_INFO = '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>';

/** The camera's clock as it reports it, so tokens can be dated the way a careful client dates them. */
async function cameraClock(): Promise<Date> {
  const reply = await soap(
    camera.xaddr,
    '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>',
  );
  const utc = reply.doc.Envelope.Body.GetSystemDateAndTimeResponse.SystemDateAndTime.UTCDateTime;
  const n = (v: unknown) => Number(v);
  return new Date(
    Date.UTC(
      n(utc.Date.Year),
      n(utc.Date.Month) - 1,
      n(utc.Date.Day),
      n(utc.Time.Hour),
      n(utc.Time.Minute),
      n(utc.Time.Second),
    ),
  );
}

describe("WS-Discovery", () => {
  it("answers a unicast Probe for a NetworkVideoTransmitter with a ProbeMatches for it", async () => {
    const messageId = `urn:uuid:${randomUUID()}`;
    const reply = nextDatagram();
    await send(probe(messageId, "nvt:NetworkVideoTransmitter"));
    const text = await reply;

    const match = xml.parse(text).Envelope.Body.ProbeMatches.ProbeMatch;
    expect(relatesTo(text)).toBe(messageId);
    expect(match.EndpointReference.Address).toBe(camera.uuid);
    expect(match.XAddrs).toBe(camera.xaddr);
    expect(match.Types).toBe("dn:NetworkVideoTransmitter tds:Device");
    expect(match.Scopes.split(" ")).toEqual(
      expect.arrayContaining([
        "onvif://www.onvif.org/type/video_encoder",
        "onvif://www.onvif.org/Profile/Streaming",
      ]),
    );
  });

  it("stays silent to a Probe for another device type", async () => {
    // Replies come in probe order (no delay), so the first one must be for the second probe.
    const printer = `urn:uuid:${randomUUID()}`;
    const anything = `urn:uuid:${randomUUID()}`;
    const reply = nextDatagram();
    await send(probe(printer, "pub:Computer"));
    await send(probe(anything, ""));
    expect(relatesTo(await reply)).toBe(anything);
  });

  it("survives garbage datagrams and keeps answering", async () => {
    await send(randomBytes(512));
    await send(probe(`urn:uuid:${randomUUID()}`, "nvt:NetworkVideoTransmitter").slice(0, 200));
    await send("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">]><x>&a;&a;&a;</x>");
    await send(Buffer.alloc(0));
    const messageId = `urn:uuid:${randomUUID()}`;
    const reply = nextDatagram();
    await send(probe(messageId, "nvt:NetworkVideoTransmitter"));
    expect(relatesTo(await reply)).toBe(messageId);
  });
});

describe("SOAP device and media services", () => {
  it("tells its (skewed) clock without authentication", async () => {
    const clock = await cameraClock();
    expect(Math.abs(clock.getTime() - (Date.now() + SKEW_SECONDS * 1000))).toBeLessThan(10_000);
  });

  it("answers GetDeviceInformation to a correct digest dated by the camera clock", async () => {
    const reply = await soap(camera.xaddr, DEVICE_INFO, usernameToken("kelas-1A", await cameraClock()));
    expect(reply.status).toBe(200);
    expect(reply.doc.Envelope.Body.GetDeviceInformationResponse.Manufacturer).toBe("HIKVISION");
  });

  it("refuses a wrong password with the ter:NotAuthorized fault", async () => {
    const reply = await soap(camera.xaddr, DEVICE_INFO, usernameToken("admin123", await cameraClock()));
    expect(reply.status).toBe(400);
    const code = reply.doc.Envelope.Body.Fault.Code;
    expect(code.Value).toBe("env:Sender");
    expect(code.Subcode.Value).toBe("ter:NotAuthorized");
    expect(reply.text).toContain('xmlns:env="http://www.w3.org/2003/05/soap-envelope"');
    expect(reply.text).toContain('xmlns:ter="http://www.onvif.org/ver10/error"');
  });

  it("refuses a correct digest whose Created follows the client's clock, an hour off the camera's", async () => {
    const reply = await soap(camera.xaddr, DEVICE_INFO, usernameToken("kelas-1A", new Date()));
    expect(reply.status).toBe(400);
    expect(reply.doc.Envelope.Body.Fault.Code.Subcode.Value).toBe("ter:NotAuthorized");
  });

  it("lists two profiles and gives the configured stream URI for the main one", async () => {
    const clock = await cameraClock();
    const mediaUrl = camera.xaddr.replace("/onvif/device_service", "/onvif/media_service");
    const profiles = await soap(
      mediaUrl,
      '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>',
      usernameToken("kelas-1A", clock),
    );
    const tokens = profiles.doc.Envelope.Body.GetProfilesResponse.Profiles.map(
      (p: Record<string, unknown>) => p["@token"],
    );
    expect(tokens).toEqual(["Profile_1", "Profile_2"]);

    const uri = await soap(
      mediaUrl,
      '<GetStreamUri xmlns="http://www.onvif.org/ver10/media/wsdl"><ProfileToken>Profile_1</ProfileToken></GetStreamUri>',
      usernameToken("kelas-1A", clock),
    );
    expect(uri.doc.Envelope.Body.GetStreamUriResponse.MediaUri.Uri).toBe(MAIN_URI);
  });
});

describe("Dahua style", () => {
  it("speaks Dahua's dialect: bare uuid: endpoint, s: prefix, MediaProfile tokens", async () => {
    const dahuaHost = randomLoopbackHost();
    const dahua = await startOnvifCamera({ host: dahuaHost, style: "dahua", maxDelayMs: 0 });
    const socket = createSocket("udp4");
    try {
      await new Promise<void>((resolve) => socket.bind(0, dahuaHost, resolve));
      const messageId = `urn:uuid:${randomUUID()}`;
      const reply = new Promise<string>((resolve) =>
        socket.once("message", (msg) => resolve(msg.toString())),
      );
      socket.send(probe(messageId, "nvt:NetworkVideoTransmitter"), dahua.discoveryPort, dahuaHost);
      const text = await reply;
      expect(text).toMatch(/^<\?xml version="1.0" encoding="utf-8" standalone="yes" \?><s:Envelope /);
      expect(xml.parse(text).Envelope.Body.ProbeMatches.ProbeMatch.EndpointReference.Address).toBe(
        dahua.uuid.replace(/^urn:/, ""),
      );

      const profiles = await soap(
        dahua.xaddr.replace("/onvif/device_service", "/onvif/media_service"),
        '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>',
        usernameToken("admin123", new Date()),
      );
      const tokens = profiles.doc.Envelope.Body.GetProfilesResponse.Profiles.map(
        (p: Record<string, unknown>) => p["@token"],
      );
      expect(tokens).toEqual(["MediaProfile00000", "MediaProfile00001"]);
    } finally {
      socket.close();
      await dahua.stop();
    }
  });
});

import { createHash } from "node:crypto";
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { randomLoopbackHost } from "../helpers/onvif-camera.js";

// A camera network is not to be trusted: whatever a datagram or a SOAP reply holds, the scan or inspect
// ends with a reason and the gateway stays up. Hostile peers here are small servers of the test's own on
// loopback addresses of its own.

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ onvif: { soapTimeoutSeconds: 1.5, maxReplyBytes: 256 * 1024 } });
});
afterAll(async () => {
  await gw.close();
});

const probeMatch = (relatesTo: string, uuid: string, xaddrs: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header><wsa:MessageID>urn:uuid:${crypto.randomUUID()}</wsa:MessageID><wsa:RelatesTo>${relatesTo}</wsa:RelatesTo><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header><SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${uuid}</wsa:Address></wsa:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/Hostile</d:Scopes><d:XAddrs>${xaddrs}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe("hostile WS-Discovery answers", () => {
  let responder: dgram.Socket;
  let host: string;
  const good = `urn:uuid:${crypto.randomUUID()}`;

  beforeAll(async () => {
    host = randomLoopbackHost();
    responder = dgram.createSocket("udp4");
    responder.on("message", (msg, from) => {
      const id = /MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? "";
      const send = (b: Buffer | string) => responder.send(b, from.port, from.address);
      send(Buffer.from([0, 1, 2, 255, 254, 0xc3, 0x28]));
      send(Buffer.alloc(0));
      send(Buffer.alloc(60_000, 0x41));
      send(probeMatch(id, good, "http://x/").slice(0, 300));
      send(
        `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>`,
      );
      send("<a>".repeat(2000) + "</a>".repeat(2000));
      send(
        probeMatch(
          "urn:uuid:not-our-probe",
          `urn:uuid:${crypto.randomUUID()}`,
          `http://${host}/onvif/device_service`,
        ),
      );
      send(probeMatch(id, "", `http://${host}/onvif/device_service`));
      // Valid, but naming another host: the gateway keeps to the host that answered.
      send(probeMatch(id, good, "http://169.254.169.254:8080/onvif/device_service"));
      // The same device again: one entry.
      send(probeMatch(id, good, `http://${host}/onvif/device_service`));
    });
    await new Promise<void>((resolve) => responder.bind(3702, host, resolve));
  });
  afterAll(() => {
    responder.close();
  });

  it("ignores what is not a usable answer, counts why, and keeps the one real device on its own host", async () => {
    const before = dbSnapshot(gw.dataDir);
    const r = await gw.admin.request("POST", "/api/discovery/scan", {
      multicast: false,
      hosts: [host],
      timeoutMs: 1000,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.devices).toHaveLength(1);
    expect(r.body.devices[0]).toMatchObject({
      uuid: good,
      address: host,
      xaddrs: ["http://169.254.169.254:8080/onvif/device_service"],
      deviceServiceUrl: `http://${host}:8080/onvif/device_service`,
      xaddrRewritten: true,
    });
    expect(r.body.ignored).toEqual({
      oversized: 1,
      // Random bytes, the empty datagram, truncated XML, the DTD.
      malformed: 4,
      // Deep but well-formed nesting, and a ProbeMatches for someone else's probe.
      "not an answer to this probe": 2,
      "no device in the answer": 1,
    });
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});

describe("hostile and broken SOAP replies", () => {
  let host: string;
  let server: http.Server;
  let silent: net.Server;
  let silentPort: number;
  let port: number;
  const sockets = new Set<net.Socket>();
  let mode = "";

  const envelope = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body>${body}</env:Body></env:Envelope>`;
  const clock = envelope(
    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour><tt:Minute>2</tt:Minute><tt:Second>3</tt:Second></tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>28</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
  );

  beforeAll(async () => {
    host = randomLoopbackHost();
    server = http.createServer((req, res) => {
      req.resume();
      const soap = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "application/soap+xml; charset=utf-8" });
        res.end(body);
      };
      switch (mode) {
        case "malformed": {
          soap(200, envelope("<tds:GetSystemDateAndTimeResponse><oops></tds:GetSystemDateAndTimeResponse>"));
          return;
        }
        case "truncated":
          res.writeHead(200, {
            "content-type": "application/soap+xml",
            "content-length": String(clock.length),
          });
          res.write(clock.slice(0, 120));
          res.socket?.destroy();
          return;
        case "oversized": {
          soap(200, envelope(`<x>${"A".repeat(2 * 1024 * 1024)}</x>`));
          return;
        }
        case "slow":
          res.writeHead(200, { "content-type": "application/soap+xml" });
          res.write("<?xml");
          return; // and never another byte
        case "doctype": {
          soap(
            200,
            `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><l>&b;</l>`,
          );
          return;
        }
        case "html":
          res.writeHead(404, { "content-type": "text/html" });
          return res.end("<html><body><h1>404 Not Found</h1></body></html>");
        case "plain-401":
          res.writeHead(401, { "www-authenticate": 'Digest realm="IP Camera"' });
          return res.end();
        case "not-soap-xml": {
          soap(200, "<rss><channel/></rss>");
          return;
        }
        case "fault": {
          soap(
            500,
            envelope(
              "<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text>boom</env:Text></env:Reason></env:Fault>",
            ),
          );
          return;
        }
        case "clock-needs-auth": {
          // Some firmware wants credentials even for the clock, then refuses a digest dated in our time.
          soap(
            400,
            envelope(
              '<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value xmlns:ter="http://www.onvif.org/ver10/error">ter:NotAuthorized</env:Value></env:Subcode></env:Code><env:Reason><env:Text>Sender not Authorized</env:Text></env:Reason></env:Fault>',
            ),
          );
          return;
        }
        case "http-digest": {
          // Firmware that guards ONVIF with HTTP Digest (RFC 2617, qop=auth) rather than WS-Security.
          const h = (t: string) => createHash("md5").update(t).digest("hex");
          const a = req.headers.authorization ?? "";
          const p = Object.fromEntries([...a.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
          const expected = h(
            `${h("admin:IP Camera:rahasia")}:n0nce:${p.nc ?? ""}:${p.cnonce ?? ""}:auth:${h(`POST:${p.uri ?? ""}`)}`,
          );
          if (!a.startsWith("Digest ") || p.response !== expected || p.uri !== req.url) {
            res.writeHead(401, { "www-authenticate": 'Digest realm="IP Camera", qop="auth", nonce="n0nce"' });
            res.end();
            return;
          }
          const action = req.headers["content-type"] ?? "";
          if (/GetSystemDateAndTime/.test(action)) soap(200, clock);
          else if (/GetDeviceInformation/.test(action))
            soap(
              200,
              envelope(
                "<tds:GetDeviceInformationResponse><tds:Manufacturer>Digest Cam</tds:Manufacturer></tds:GetDeviceInformationResponse>",
              ),
            );
          else if (/GetProfiles/.test(action))
            soap(
              200,
              envelope(
                '<trt:GetProfilesResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><trt:Profiles token="P1"><tt:Name>main</tt:Name><tt:VideoEncoderConfiguration><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse>',
              ),
            );
          else if (/GetStreamUri/.test(action))
            soap(
              200,
              envelope(
                `<trt:GetStreamUriResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><trt:MediaUri><tt:Uri>rtsp://${host}:554/live</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`,
              ),
            );
          else
            soap(
              400,
              envelope(
                "<env:Fault><env:Code><env:Value>env:Receiver</env:Value><env:Subcode><env:Value>ter:ActionNotSupported</env:Value></env:Subcode></env:Code><env:Reason><env:Text>no</env:Text></env:Reason></env:Fault>",
              ),
            );
          return;
        }
        case "no-profiles":
          if (/GetSystemDateAndTime/.test(req.headers["content-type"] ?? "")) {
            soap(200, clock);
            return;
          }
          if (/GetDeviceInformation/.test(req.headers["content-type"] ?? "")) {
            soap(
              200,
              envelope(
                "<tds:GetDeviceInformationResponse><tds:Manufacturer>X</tds:Manufacturer></tds:GetDeviceInformationResponse>",
              ),
            );
            return;
          }
          if (/GetProfiles/.test(req.headers["content-type"] ?? "")) {
            soap(
              200,
              envelope('<trt:GetProfilesResponse xmlns:trt="http://www.onvif.org/ver10/media/wsdl"/>'),
            );
            return;
          }
          {
            soap(
              400,
              envelope(
                "<env:Fault><env:Code><env:Value>env:Receiver</env:Value><env:Subcode><env:Value>ter:ActionNotSupported</env:Value></env:Subcode></env:Code><env:Reason><env:Text>no</env:Text></env:Reason></env:Fault>",
              ),
            );
            return;
          }
        default: {
          soap(200, clock);
          return;
        }
      }
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    port = (server.address() as net.AddressInfo).port;
    // Accepts and never says a word.
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, host, resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await new Promise((r) => silent.close(r));
  });

  it.each([
    ["malformed", 502, "onvif_bad_reply", /not well-formed/],
    ["truncated", 502, "onvif_bad_reply", /cut off|closed|not well-formed/],
    ["oversized", 502, "onvif_bad_reply", /larger than/],
    ["slow", 504, "onvif_timeout", /no complete reply/],
    ["doctype", 502, "onvif_bad_reply", /DTD/],
    ["html", 422, "onvif_not_onvif", /HTTP 404/],
    ["plain-401", 422, "onvif_auth_failed", /401/],
    ["not-soap-xml", 422, "onvif_not_onvif", /not a SOAP envelope/],
    ["fault", 502, "onvif_bad_reply", /boom/],
    ["no-profiles", 422, "onvif_no_profiles", /no video profile/],
  ])("%s → %i %s, explained, nothing stored", async (m, status, code, detail) => {
    mode = m;
    const before = dbSnapshot(gw.dataDir);
    const r = await gw.admin.request("POST", "/api/onvif/inspect", {
      host,
      port,
      username: "admin",
      password: "x",
    });
    expect(r.status, r.text).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.messages.id.length).toBeGreaterThan(10);
    expect(r.body.error.messages.en).toBe(r.body.error.message);
    expect(r.body.error.detail).toMatch(detail);
    // The soapTimeoutSeconds (1.5 s) bounds every call, so even a trickling camera ends the request (with
    // onvif_timeout, above); a request that hung would run into the test's timeout. No wall-clock bound:
    // it failed on a loaded machine without saying anything about the gateway.
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("a camera whose clock cannot be read and which refuses the login: wrong password or clock far off", async () => {
    mode = "clock-needs-auth";
    const r = await gw.admin.request("POST", "/api/onvif/inspect", {
      host,
      port,
      username: "admin",
      password: "x",
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("onvif_auth_failed");
    expect(r.body.error.messages.en).toMatch(/password is wrong, or the camera's clock is far off/);
    expect(r.body.error.messages.id).toMatch(/jam kamera/);
    expect(r.body.error.detail).toMatch(/clock could not be read/);
  });

  it("a camera that wants HTTP Digest instead of WS-Security is answered with it", async () => {
    mode = "http-digest";
    const r = await gw.admin.request("POST", "/api/onvif/inspect", {
      host,
      port,
      username: "admin",
      password: "rahasia",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.device.manufacturer).toBe("Digest Cam");
    expect(r.body.profiles).toMatchObject([
      { token: "P1", codec: "h264", streamUri: `rtsp://${host}:554/live` },
    ]);
    // Its clock needed credentials too: inspect carried on without a skew.
    expect(r.body.clock.skewSeconds).toBeNull();
    const wrong = await gw.admin.request("POST", "/api/onvif/inspect", {
      host,
      port,
      username: "admin",
      password: "salah",
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe("onvif_auth_failed");
  });

  it("a camera that accepts and never answers times out", async () => {
    const r = await gw.admin.request("POST", "/api/onvif/inspect", { host, port: silentPort });
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe("onvif_timeout");
  });

  it("nothing listening is unreachable", async () => {
    const r = await gw.admin.request("POST", "/api/onvif/inspect", { host, port: 1 });
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({
      code: "onvif_unreachable",
      messages: { id: expect.stringMatching(/tidak dapat dihubungi/) },
    });
  });

  it("the gateway is still up and serving", async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await gw.admin.request("GET", "/api/cameras")).status).toBe(200);
  });
});

describe("bad scan and inspect requests: 400 naming the field, nothing probed", () => {
  it.each([
    [{ cidr: "10.0.0.0/16" }, "cidr", /too large/],
    [{ cidr: "10.0.0.0" }, "cidr", /not an IPv4 range/],
    [{ hosts: ["kamera.local"] }, "hosts", /not an IPv4 address/],
    [{ multicast: false }, "multicast", /nothing to probe/],
    [{ interface: "eth9" }, "interface", /no IPv4 interface/],
    [{ interface: "eth0; reboot" }, "interface", /./],
    [{ timeoutMs: 10 }, "timeoutMs", /./],
    [{ hosts: "10.0.0.1" }, "hosts", /./],
    [{ extra: 1 }, undefined, /extra/],
  ])("scan %j", async (body, field, message) => {
    const r = await gw.admin.request("POST", "/api/discovery/scan", body);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
    expect(r.body.error.message).toMatch(message);
  });

  // Well formed but outside network.allowedNetworks: 422, as every refused camera address (hardening-networks).
  it.each([
    [{ cidr: "8.8.8.0/24" }, "cidr"],
    [{ hosts: ["1.1.1.1"] }, "hosts"],
  ])("scan %j: 422 address_not_allowed", async (body, field) => {
    const r = await gw.admin.request("POST", "/api/discovery/scan", body);
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: "address_not_allowed", field, reason: "not_allowed" });
  });

  it.each([
    [{ host: "192.168.1.64/../../x" }, "host"],
    [{ host: "" }, "host"],
    [{ host: "a b" }, "host"],
    [{ host: "10.0.0.1", port: 0 }, "port"],
    [{ host: "10.0.0.1", path: "onvif" }, "path"],
    [{ host: "10.0.0.1", path: "/onvif/../../etc" }, "path"],
    [{ host: "10.0.0.1", path: "/onvif?x=1" }, "path"],
    [{ host: "10.0.0.1", path: "/a b" }, "path"],
    [{ host: "10.0.0.1", port: "80" }, "port"],
    [{ host: "10.0.0.1", password: "x".repeat(300) }, "password"],
  ])("inspect %j", async (body, field) => {
    const r = await gw.admin.request("POST", "/api/onvif/inspect", body);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
  });
});

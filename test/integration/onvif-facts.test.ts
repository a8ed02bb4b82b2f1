import http from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onvifFacts, type OnvifFacts } from "../../gateway/src/health/onvif-facts.js";
import { AllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { NetworkGuard } from "../../gateway/src/net/network-guard.js";
import { SoapClient } from "../../gateway/src/onvif/soap-client.js";
import { waitFor } from "../helpers/media.js";
import { randomLoopbackHost, startOnvifCamera, type OnvifCamera } from "../helpers/onvif-camera.js";

// The ONVIF half of the health probe against the repo's simulator (identity, clock, a camera an hour
// behind, a wrong password, its hostile replies) and HTTP servers of the test's own that never answer or
// answer garbage: each ends with its code inside the deadline (bounds generous: deadline + 2 s).

const creds = { username: "admin", password: "Kunci#Rahasia9" };
const network = new NetworkGuard(AllowedNetworks.parse(["127.0.0.0/8"]), { interfaces: () => ({}) });
// The SoapClient's own per-call timeout is long: the probe's deadline is what must cut a call off.
const soap = new SoapClient({ timeoutMs: 30_000, maxReplyBytes: 256 * 1024, network });
const deadlineMs = 1500;
const slack = 2000;
const identity = {
  manufacturer: "HIKVISION",
  model: "DS-2CD1023G0E-I",
  firmware: "V5.7.3 build 220112",
  serial: "DS-2CD1023G0E-I20230101AAWRJ12345678",
};

const cameras: OnvifCamera[] = [];
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(cameras.map((c) => c.stop()));
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function camera(opts: Parameters<typeof startOnvifCamera>[0]): Promise<OnvifCamera> {
  const c = await startOnvifCamera({ host: randomLoopbackHost(), ...creds, ...identity, ...opts });
  cameras.push(c);
  return c;
}

async function facts(url: string, c = creds, s = soap, deadline = deadlineMs): Promise<OnvifFacts> {
  const t0 = performance.now();
  const f = await onvifFacts(s, url, c, deadline);
  expect(performance.now() - t0).toBeLessThan(deadline + slack);
  expect(f.ms).toBeLessThan(deadline + slack);
  expect(JSON.stringify(f)).not.toContain(c.password);
  return f;
}

describe("against the ONVIF simulator", () => {
  let right: OnvifCamera;
  let behind: OnvifCamera;
  beforeAll(async () => {
    [right, behind] = await Promise.all([camera({}), camera({ skewSeconds: -3600, style: "dahua" })]);
  });

  it("reads serial, firmware, model and a clock close to ours", async () => {
    const f = await facts(right.xaddr, creds, soap, 10_000);
    expect(f.error).toBeUndefined();
    expect(f).toMatchObject({ ok: true, ...identity });
    // The camera gives whole seconds; the request's own time adds a little.
    expect(Math.abs(f.clockSkewMs ?? Infinity)).toBeLessThan(2000);
  });

  it("measures a camera an hour behind, and still logs in with its time", async () => {
    const f = await facts(behind.xaddr, creds, soap, 10_000);
    expect(f.error).toBeUndefined();
    expect(f.ok).toBe(true);
    expect(f.serial).toBe(identity.serial);
    expect(Math.abs((f.clockSkewMs ?? 0) + 3_600_000)).toBeLessThan(2000);
  });

  it("a wrong password is auth_failed, with the clock still read", async () => {
    const f = await facts(right.xaddr, { ...creds, password: "bukan-ini-sandinya" });
    expect(f.ok).toBe(false);
    expect(f.error?.code).toBe("auth_failed");
    expect(f.clockSkewMs).toBeDefined();
    expect(f.serial).toBeUndefined();
  });

  it.each([
    ["soap-malformed", "bad_reply"],
    ["soap-oversized", "bad_reply"],
    ["soap-html", "not_onvif"],
    ["soap-slow", "timeout"],
  ] as const)("a simulator misbehaving as %s → %s", async (misbehave, code) => {
    const c = await camera({ misbehave });
    const f = await facts(c.xaddr);
    expect(f.ok).toBe(false);
    expect(f.error?.code).toBe(code);
  });
});

describe("against hostile SOAP endpoints", () => {
  async function server(handler: http.RequestListener): Promise<{ url: string; open: () => number }> {
    const sockets = new Set<Socket>();
    const s = http.createServer(handler);
    s.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    servers.push(s);
    const host = randomLoopbackHost();
    await new Promise<void>((resolve) => s.listen(0, host, resolve));
    const { port } = s.address() as { port: number };
    return { url: `http://${host}:${String(port)}/onvif/device_service`, open: () => sockets.size };
  }

  it("garbage XML is bad_reply", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/soap+xml" }).end("<s:Envelope><<<\u0000garbage");
    });
    const f = await facts(s.url);
    expect(f.error?.code).toBe("bad_reply");
  });

  it("a server that never answers is a timeout inside the deadline, its connection closed", async () => {
    const s = await server(() => undefined);
    const f = await facts(s.url);
    expect(f.error?.code).toBe("timeout");
    expect(f.ms).toBeGreaterThanOrEqual(deadlineMs - 50);
    await waitFor("the probe to close its connection", () => s.open() === 0, 5000);
  });

  it("a clock answered at once, then an identity that never comes, is a timeout inside the deadline", async () => {
    const clock = `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>1</tt:Hour><tt:Minute>2</tt:Minute><tt:Second>3</tt:Second></tt:Time><tt:Date><tt:Year>2030</tt:Year><tt:Month>1</tt:Month><tt:Day>2</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></s:Body></s:Envelope>`;
    const s = await server((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (body.includes("GetSystemDateAndTime"))
          res.writeHead(200, { "Content-Type": "application/soap+xml" }).end(clock);
      });
    });
    const f = await facts(s.url);
    expect(f.error?.code).toBe("timeout");
    // Read before the deadline, and kept: the camera is years ahead.
    const expected = Date.UTC(2030, 0, 2, 1, 2, 3) - Date.now();
    expect(Math.abs((f.clockSkewMs ?? NaN) - expected)).toBeLessThan(deadlineMs + slack + 1000);
    await waitFor("the probe to close its connection", () => s.open() === 0, 5000);
  });

  it("aborting rejects with the signal's reason and closes the connection", async () => {
    let connected = 0;
    const s = await server(() => {
      connected++;
    });
    const ac = new AbortController();
    const p = onvifFacts(soap, s.url, creds, 30_000, { signal: ac.signal });
    await waitFor("the request", () => connected === 1, 5000);
    ac.abort(new Error("gateway closing"));
    await expect(p).rejects.toThrow("gateway closing");
    await waitFor("the probe to close its connection", () => s.open() === 0, 5000);
  });

  it("an address outside the allowed networks is not_allowed", async () => {
    let contacted = false;
    const s = await server((_req, res) => {
      contacted = true;
      res.end();
    });
    const narrow = new NetworkGuard(AllowedNetworks.parse(["127.0.0.1/32"]), { interfaces: () => ({}) });
    const f = await facts(
      s.url,
      creds,
      new SoapClient({ timeoutMs: 30_000, maxReplyBytes: 65536, network: narrow }),
    );
    expect(f.error?.code).toBe("not_allowed");
    expect(contacted).toBe(false);
  });
});

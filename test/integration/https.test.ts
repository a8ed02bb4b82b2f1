import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { connect, TLSSocket } from "node:tls";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../gateway/src/config/config.schema.js";
import { ConfigError, parseConfig } from "../../gateway/src/config/load-config.js";
import { createLogger } from "../../gateway/src/log/logger.js";
import { startGateway, type Gateway } from "../../gateway/src/main.js";
import { testAdminPassword, testAdminUser, testAllowedNetworks } from "../helpers/gateway.js";
import { startGatewayProcess } from "../helpers/gateway-process.js";
import { waitFor } from "../helpers/media.js";

// The gateway serving HTTPS itself (issue 13): a test CA made here with Debian's openssl, a server certificate
// for 127.0.0.1/localhost, a Node client that trusts only that CA; sign-in, wss://, the redirect port, a
// renewed certificate picked up without a restart, a broken renewal refused, a mismatched pair refused at start.

const dir = mkdtempSync(join(tmpdir(), "pantau-https-"));
const certFile = join(dir, "fullchain.pem");
const keyFile = join(dir, "privkey.pem");
const logLines: string[] = [];
let ca: Buffer;
let gw: Gateway;

const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A server key and a certificate for 127.0.0.1 and localhost signed by the test CA, under `name`. */
function makeServerCert(name: string, serial: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl(
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    `/CN=${name}`,
  );
  openssl(
    "x509",
    ...["-req", "-in", csr, "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", `0x${serial}`],
    ...["-days", "2", "-extfile", ext, "-out", cert],
  );
  return { cert, key };
}

function install(pair: { cert: string; key: string }): void {
  copyFileSync(pair.key, keyFile);
  copyFileSync(pair.cert, certFile);
}

const configOf = (http: ConfigInput["http"]) =>
  parseConfig({
    dataDir: mkdtempSync(join(dir, "data-")),
    demo: false,
    logLevel: "silent",
    adminUser: testAdminUser,
    adminPassword: testAdminPassword,
    http: { host: "127.0.0.1", port: 0, rateLimitPerMinute: 100_000, ...http },
    access: { loginAttemptsPerIpPer15Min: 10_000 },
    onvif: { reprobeSeconds: 0, reprobeMulticast: false },
    health: { probeSeconds: 0 },
    network: { allowedNetworks: [...testAllowedNetworks] },
  });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  serial: string;
}

/** One request on a fresh TLS connection (no agent), trusting only the test CA. */
function get(path: string, opts: { method?: string; body?: string; cookie?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${gw.url}${path}`,
      {
        ca,
        agent: false,
        method: opts.method ?? "GET",
        headers: {
          ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
          ...(opts.cookie === undefined ? {} : { cookie: opts.cookie }),
        },
      },
      (res) => {
        const socket = res.socket;
        const serial = socket instanceof TLSSocket ? socket.getPeerCertificate().serialNumber : "";
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, serial }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** The serial number of the certificate a new TLS connection is shown. */
function servedSerial(): Promise<string> {
  const { port } = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(port), ca, servername: "localhost" }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"],
    ...["-days", "2", "-subj", "/CN=Pantau test CA"],
  );
  ca = readFileSync(join(dir, "ca.crt"));
  install(makeServerCert("first", "A1A1"));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  gw = await startGateway(
    configOf({ tls: { certFile, keyFile, reloadSeconds: 0.2, redirectHttpPort: 0, acmeWebroot: dir } }),
    createLogger("info", sink),
  );
}, 30_000);

afterAll(async () => {
  await (gw as Gateway | undefined)?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("HTTPS from certificate files", () => {
  it("serves /healthz over https and prints the https URL", async () => {
    expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get("/healthz");
    expect(r.status).toBe(200);
    expect(r.serial).toBe("A1A1");
  });

  it("signs in with a Secure cookie, and the page asks the browser to upgrade insecure requests", async () => {
    const r = await get("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({ username: testAdminUser, password: testAdminPassword }),
    });
    expect(r.status).toBe(200);
    const cookies = [r.headers["set-cookie"] ?? []].flat();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/;\s*Secure/i);
    const page = await get("/admin");
    expect(String(page.headers["content-security-policy"])).toContain("upgrade-insecure-requests");
  });

  it("opens /api/events over wss:// with the operator's cookie", async () => {
    const r = await get("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({ username: testAdminUser, password: testAdminPassword }),
    });
    const cookie = [r.headers["set-cookie"] ?? []]
      .flat()
      .map((c) => c.split(";")[0])
      .join("; ");
    const ws = new WebSocket(`${gw.url.replace(/^https/, "wss")}/api/events`, {
      ca,
      headers: { cookie, origin: gw.url },
    });
    const hello = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once("message", (data: Buffer) => resolve(JSON.parse(data.toString()) as { type: string }));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${String(res.statusCode)}`)));
      ws.once("error", reject);
    });
    ws.close();
    expect(hello.type).toBe("hello");
  });

  it("redirects plain HTTP on the redirect port to the same path over https (308)", async () => {
    const redirect = gw.redirectUrl ?? "";
    expect(redirect).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { port } = new URL(gw.url);
    for (const path of ["/a/some-link?x=1", "/healthz"]) {
      const r = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
        httpRequest(`${redirect}${path}`, { agent: false }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: res.headers.location });
        })
          .on("error", reject)
          .end();
      });
      expect(r.status).toBe(308);
      expect(r.location).toBe(`https://127.0.0.1:${port}${path}`);
    }
  });

  it("answers certbot's HTTP-01 challenge from acmeWebroot on the redirect port, and nothing else there", async () => {
    mkdirSync(join(dir, ".well-known", "acme-challenge"), { recursive: true });
    writeFileSync(join(dir, ".well-known", "acme-challenge", "tok-EN_123"), "tok-EN_123.thumbprint");
    const plain = async (path: string) => {
      const res = await fetch(`${gw.redirectUrl ?? ""}${path}`, { redirect: "manual" });
      return { status: res.status, body: await res.text() };
    };
    expect(await plain("/.well-known/acme-challenge/tok-EN_123")).toEqual({
      status: 200,
      body: "tok-EN_123.thumbprint",
    });
    expect((await plain("/.well-known/acme-challenge/missing")).status).toBe(404);
    // Not a token: redirected like any path, never read from the folder (the CA's key sits in it here).
    expect((await plain("/.well-known/acme-challenge/..%2F..%2Fca.key")).status).toBe(308);
  });

  it("uses a renewed certificate for new connections without a restart, and keeps it when the next is broken", async () => {
    install(makeServerCert("second", "B2B2"));
    await waitFor("the renewed certificate", async () => (await servedSerial()) === "B2B2");
    expect(logLines.join("")).toContain("HTTPS certificate reloaded: B2B2");

    writeFileSync(certFile, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
    await waitFor("the refused renewal logged", () =>
      logLines.some((l) => l.includes("HTTPS certificate not reloaded") && l.includes("http.tls.certFile")),
    );
    expect(await servedSerial()).toBe("B2B2");
    expect((await get("/healthz")).status).toBe(200);

    // certbot's renewal: new files under archive/, the live/ names made symlinks to them by an atomic rename.
    const third = makeServerCert("third", "D4D4");
    for (const [name, target] of [
      [keyFile, third.key],
      [certFile, third.cert],
    ] as const) {
      symlinkSync(target, `${name}.new`);
      renameSync(`${name}.new`, name);
    }
    await waitFor(
      "the certificate behind the swapped symlinks",
      async () => (await servedSerial()) === "D4D4",
    );
  });

  it("refuses to start with a key that does not match the certificate, naming the setting", async () => {
    const other = makeServerCert("other", "C3C3");
    const first = join(dir, "first.crt");
    const start = startGateway(configOf({ tls: { certFile: first, keyFile: other.key } }));
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/http\.tls\.keyFile: .*does not match/);
    await expect(
      startGateway(configOf({ tls: { certFile: join(dir, "absent.pem"), keyFile: other.key } })),
    ).rejects.toThrow(/http\.tls\.certFile: cannot read .*absent\.pem/);
    await expect(startGateway(configOf({ tls: { certFile: first, keyFile: first } }))).rejects.toThrow(
      /http\.tls\.keyFile: .* is not a PEM private key/,
    );
  });

  it("as a process (npm start), stops with exit code 2 naming the setting, on a mismatched pair set from the environment", async () => {
    const start = startGatewayProcess({
      PANTAU_DEMO: "0",
      PANTAU_HTTP_TLS_CERT_FILE: join(dir, "first.crt"),
      PANTAU_HTTP_TLS_KEY_FILE: join(dir, "other.key"),
    });
    await expect(start).rejects.toThrow(/exited \(2\)[\s\S]*Pantau: http\.tls\.keyFile: .*does not match/);
  }, 30_000);

  it("refuses a certificate file without its key, naming the missing setting", () => {
    expect(() => configOf({ tls: { certFile } })).toThrow(/http\.tls\.keyFile/);
  });
});

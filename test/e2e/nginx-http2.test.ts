import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStatsScript, type PageStats } from "../helpers/browser.js";
import { startTestGateway, testAdminPassword, testAdminUser, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The hub's shipped nginx site (config/nginx/pantau-hub.conf) in front of a real gateway, with Debian's
// nginx and a test CA made here: Chromium plays LL-HLS and WebSocket through it, the page and the playlists
// over HTTP/2, and the gateway, told it is behind a TLS proxy, gives Secure cookies. The shipped file is the
// one tested: only certificate paths, listen addresses, the webroot and the upstream port are substituted.

const shipped = readFileSync(new URL("../../config/nginx/pantau-hub.conf", import.meta.url), "utf8");
const dir = mkdtempSync(join(tmpdir(), "pantau-nginx-"));
const asRoot = process.getuid?.() === 0;
/** nobody:nogroup on Debian: nginx's workers when started as root, as the bench does. */
const nobody = { uid: 65534, gid: 65534 };
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

let camera: TestCamera | undefined;
let gw: TestGateway | undefined;
let nginx: ChildProcess | undefined;
let browser: Browser | undefined;
let base: string;
let ca: Buffer;
let cameraId: string;
const nginxErr: string[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A test CA and a server certificate for 127.0.0.1 signed by it; returns the leaf's SPKI SHA-256 (base64). */
function makeCerts(): string {
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"],
    ...["-days", "2", "-subj", "/CN=Pantau nginx test CA"],
  );
  writeFileSync(
    join(dir, "leaf.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    ...["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "privkey.pem", "-out", "leaf.csr"],
    ...["-subj", "/CN=127.0.0.1"],
  );
  openssl(
    ...["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "0x1001"],
    ...["-days", "2", "-extfile", "leaf.ext", "-out", "leaf.crt"],
  );
  writeFileSync(join(dir, "fullchain.pem"), readFileSync(join(dir, "leaf.crt")));
  ca = readFileSync(join(dir, "ca.crt"));
  const leaf = new X509Certificate(readFileSync(join(dir, "leaf.crt")));
  const spki = leaf.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/** The shipped site with this test's paths and ports; everything else as shipped. */
function renderSite(httpsPort: number, httpPort: number, upstreamPort: number): string {
  const site = shipped
    .replaceAll("/etc/letsencrypt/live/pantau.example.sch.id/", `${dir}/`)
    .replaceAll("root /var/www/certbot;", `root ${join(dir, "webroot")};`)
    .replace("server 127.0.0.1:8080;", `server 127.0.0.1:${String(upstreamPort)};`)
    .replace(/^\s*listen \[::\]:.*$/gm, "")
    .replace("listen 443 ssl http2;", `listen 127.0.0.1:${String(httpsPort)} ssl http2;`)
    .replace("listen 80;", `listen 127.0.0.1:${String(httpPort)};`);
  // Every substitution must have matched: a renamed directive in the shipped file fails here, not silently.
  expect(site).not.toContain("/etc/letsencrypt");
  expect(site).not.toContain("/var/www/certbot");
  expect(site).not.toContain("server 127.0.0.1:8080;");
  expect(site).toContain(`127.0.0.1:${String(httpsPort)} ssl http2`);
  expect(site).toContain(`listen 127.0.0.1:${String(httpPort)};`);
  return site;
}

/** A minimal nginx.conf around the site, like Debian's (which includes sites-enabled inside http), in `dir`. */
function writeNginxConf(site: string): string {
  for (const d of ["tmp", "logs", "webroot"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "pantau-hub.conf"), site);
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
${asRoot ? "user nobody nogroup;" : ""}
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "tmp/body")};
  proxy_temp_path ${join(dir, "tmp/proxy")};
  fastcgi_temp_path ${join(dir, "tmp/fastcgi")};
  uwsgi_temp_path ${join(dir, "tmp/uwsgi")};
  scgi_temp_path ${join(dir, "tmp/scgi")};
  include ${join(dir, "pantau-hub.conf")};
}
`,
  );
  if (asRoot) {
    for (const p of [dir, join(dir, "tmp"), join(dir, "logs"), join(dir, "webroot")])
      chownSync(p, nobody.uid, nobody.gid);
    chmodSync(dir, 0o755);
  }
  return conf;
}

/** An https GET/POST to nginx that trusts only the test CA. */
function httpsCall(
  path: string,
  opts: { method?: string; body?: string; localAddress?: string; forwardedFor?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${base}${path}`,
      {
        ca,
        method: opts.method ?? "GET",
        ...(opts.localAddress !== undefined && { localAddress: opts.localAddress }),
        headers: {
          ...(opts.body !== undefined && { "content-type": "application/json" }),
          ...(opts.forwardedFor !== undefined && { "x-forwarded-for": opts.forwardedFor }),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

let httpPort: number;

beforeAll(async () => {
  const spki = makeCerts();
  const httpsPort = await freePort();
  httpPort = await freePort();
  base = `https://127.0.0.1:${String(httpsPort)}`;
  camera = await startTestCamera();
  // The gateway's own port picked here: with publicUrl set, gw.url is the public (nginx) URL.
  const gatewayPort = await freePort();
  gw = await startTestGateway(
    { http: { port: gatewayPort, trustProxy: true, publicUrl: base } },
    { apiBase: `http://127.0.0.1:${String(gatewayPort)}` },
  );
  ({ id: cameraId } = await gw.addCamera({
    name: "Kelas 2B",
    source: { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") },
  }));
  const conf = writeNginxConf(renderSite(httpsPort, httpPort, gatewayPort));
  execFileSync("/usr/sbin/nginx", ["-t", "-p", dir, "-c", conf, "-e", "stderr"], { stdio: "pipe" });
  nginx = spawn("/usr/sbin/nginx", ["-p", dir, "-c", conf, "-e", "stderr"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  nginx.stderr?.on("data", (c: Buffer) => nginxErr.push(c.toString()));
  await waitFor("nginx answering over https", async () => {
    if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${nginxErr.join("")}`);
    return (await httpsCall("/healthz").catch(() => undefined))?.status === 200 ? true : undefined;
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      "--autoplay-policy=no-user-gesture-required",
      // Trusts exactly the test leaf's key (Chromium's pinning flag), not every certificate.
      `--ignore-certificate-errors-spki-list=${spki}`,
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx!.once("exit", resolve));
    nginx.kill("SIGQUIT");
    await exited;
  }
  await gw?.close();
  await camera?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const protocolsScript = `(() => ({
  page: performance.getEntriesByType("navigation")[0]?.nextHopProtocol ?? "",
  playlists: performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/live/") && e.name.includes(".m3u8"))
    .map((e) => e.nextHopProtocol),
}))()`;

async function play(mode: "hls" | "ws"): Promise<{ stats: PageStats; page: string; playlists: string[] }> {
  const page = await browser!.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${base}/dev/player?camera=${cameraId}&mode=${mode}&measure=1`);
  const stats = () => page.evaluate<PageStats>(readStatsScript);
  const first = await waitFor("75 decoded frames", async () => {
    const s = await stats();
    return s.frames > 75 ? s : undefined;
  });
  const later = await waitFor("playback time to advance by 1 s", async () => {
    const s = await stats();
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
  const protocols = await page.evaluate<{ page: string; playlists: string[] }>(protocolsScript);
  await page.close();
  expect(pageErrors).toEqual([]);
  return { stats: later, ...protocols };
}

describe("the hub's nginx site in front of the gateway", () => {
  it("plays LL-HLS in Chromium with the page and every playlist over HTTP/2", async () => {
    const r = await play("hls");
    expect(r.stats.frames).toBeGreaterThan(75);
    expect(r.stats.status).toBe("");
    expect(r.page).toBe("h2");
    // Some playlist entries carry an empty protocol (seen in runs; probably blocking reloads hls.js cancels):
    // the property is that h2 was used and HTTP/1.1 never.
    expect(r.playlists).toContain("h2");
    expect(r.playlists).not.toContain("http/1.1");
  });

  it("plays WebSocket fMP4 through the upgrade", async () => {
    const r = await play("ws");
    expect(r.stats.frames).toBeGreaterThan(75);
    expect(r.page).toBe("h2");
  });

  it("gives the sign-in cookie Secure (publicUrl https) and no-store on the API", async () => {
    const r = await httpsCall("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({ username: testAdminUser, password: testAdminPassword }),
    });
    expect(r.status).toBe(200);
    const cookies = [r.headers["set-cookie"] ?? []].flat();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/;\s*Secure/i);
    expect(r.headers["cache-control"]).toBe("no-store");
  });

  it("forwards the client's address: the gateway records the address nginx saw, not its own", async () => {
    // nginx sees this client as 127.0.0.5 while the gateway's socket is from nginx (127.0.0.1); the client's
    // own (forged) X-Forwarded-For is replaced by nginx, not passed on.
    const r = await httpsCall("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({ username: testAdminUser, password: testAdminPassword }),
      localAddress: "127.0.0.5",
      forwardedFor: "198.51.100.7",
    });
    expect(r.status).toBe(200);
    const audit = await gw!.admin.expect(200, "GET", "/api/audit");
    expect(JSON.stringify(audit)).toContain("127.0.0.5");
    expect(JSON.stringify(audit)).not.toContain("198.51.100.7");
  });

  it("redirects plain HTTP to https and serves certbot's webroot challenge", async () => {
    mkdirSync(join(dir, "webroot", ".well-known", "acme-challenge"), { recursive: true });
    writeFileSync(join(dir, "webroot", ".well-known", "acme-challenge", "abc123"), "abc123.key");
    const plain = `http://127.0.0.1:${String(httpPort)}`;
    const redirect = await fetch(`${plain}/watch?x=1`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("https://127.0.0.1/watch?x=1");
    const challenge = await fetch(`${plain}/.well-known/acme-challenge/abc123`);
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toBe("abc123.key");
  });
});

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
import { allWeek, recordConsent } from "../helpers/school-fixture.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";
import { launchWebKit, type WebKit } from "../helpers/webkit.js";
import { openParentPage, parentPagePlaying } from "../helpers/webkit-parent.js";

// The hub's shipped nginx site (config/nginx/pantau-hub.conf) in front of a real gateway, with Debian's
// nginx and a test CA made here: Chromium plays LL-HLS and WebSocket through it, the page and the playlists
// over HTTP/2, WebKit plays a parent's watch page through it, and the gateway, told it is behind a TLS proxy,
// gives Secure cookies. The shipped file is the one tested: only certificate paths, listen addresses, the
// webroot and the upstream port are substituted.

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
let wk: WebKit | undefined;
let base: string;
let ca: Buffer;
let cameraId: string;
/** The guardian's access link (`/a/<token>`) for the classroom of the camera. */
let linkPath: string;
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
  # What each request came over, by browser, for the WebKit case (its WebSocket, which no page API shows).
  log_format pantau_test '$server_protocol $status $request_method $uri "$http_user_agent"';
  access_log ${join(dir, "logs/access.log")} pantau_test;
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
  // A classroom with a guardian's child in it, so a parent's link leads to this camera.
  const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 1" })) as {
    id: string;
  };
  const room = (await gw.admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
    name: "Kelas 2B",
    schedule: allWeek,
  })) as { id: string };
  ({ id: cameraId } = await gw.addCamera({
    schoolId: school.id,
    classroomId: room.id,
    name: "Kelas 2B",
    source: { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") },
  }));
  const guardian = (await gw.admin.expect(201, "POST", `/api/schools/${school.id}/guardians`, {
    name: "Ibu Sari",
    phone: "0812-3456-7890",
    children: [{ name: "Budi", classroomId: room.id }],
  })) as { id: string };
  await recordConsent(gw.admin, guardian.id);
  const link = (await gw.admin.expect(201, "POST", `/api/guardians/${guardian.id}/links`, {})) as {
    url: string;
  };
  linkPath = new URL(link.url).pathname;
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
  // WebKit accepts exactly the test leaf for 127.0.0.1 too (not every certificate: acceptInsecureCerts is off).
  wk = await launchWebKit({ certificates: [{ host: "127.0.0.1", certificateFile: join(dir, "leaf.crt") }] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await wk?.close();
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

  it("plays a parent's watch page in WebKit (MediaSource over the WebSocket), every HTTP request over HTTP/2", async () => {
    await openParentPage(wk!, `${base}${linkPath}`);
    const s = await parentPagePlaying(wk!);
    expect(s.path).toBe("/watch");
    expect(s.status).toBe("");
    // WebKitGTK has MediaSource: the page's first choice, WebSocket fMP4 into MSE, plays.
    expect(s.feed).toBe("blob-url");
    const seen = await wk!.execute<{ page: string; resources: string[]; ua: string }>(`return {
      page: performance.getEntriesByType("navigation")[0]?.nextHopProtocol ?? "",
      resources: performance.getEntriesByType("resource").map((e) => e.nextHopProtocol),
      ua: navigator.userAgent,
    };`);
    expect(seen.page).toBe("h2");
    expect(seen.resources).toContain("h2");
    expect(seen.resources).not.toContain("http/1.1");
    // nginx's own record of WebKit's requests (by its user agent): the WebSocket is logged when it closes,
    // so the page is left first. Every HTTP request came over HTTP/2; the WebSocket is an HTTP/1.1 upgrade
    // (nginx 1.22 has no WebSocket over HTTP/2), passed through to the gateway's media path.
    await wk!.navigate("about:blank");
    const webkitLines = () =>
      readFileSync(join(dir, "logs", "access.log"), "utf8")
        .split("\n")
        .filter((l) => l.endsWith(` "${seen.ua}"`));
    const isSocket = (l: string) => /^HTTP\/1\.1 101 GET \/live\/[^/ ]+\/(main\/|sub\/)?ws /.test(l);
    const lines = await waitFor("the WebSocket in nginx's access log", () => {
      const all = webkitLines();
      return all.some(isSocket) ? all : undefined;
    });
    const http = lines.filter((l) => !isSocket(l));
    expect(http.some((l) => l.startsWith("HTTP/2.0 200 GET /watch "))).toBe(true);
    expect(http.some((l) => l.startsWith("HTTP/2.0 200 POST /api/watch/"))).toBe(true);
    expect(http.filter((l) => !l.startsWith("HTTP/2.0 "))).toEqual([]);
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

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, errors, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair, seedBytes } from "../../gateway/src/fleet/nats-nkeys.js";
import { waitFor } from "../helpers/media.js";
import { natsServerBinary, startNatsServer, type TestNatsServer } from "../helpers/nats-server.js";

// The shipped hub config (config/nats/pantau-hub.conf) with Debian's nats-server 2.9: laid out as installed
// (/etc/nats-server.conf including ../var/lib/pantau/nats/authorization.conf) under a temp root, with a test
// certificate made here in place of certbot's. Only the certificate paths are substituted for the config
// check; to run it, the ports and the pid file too.

const shipped = readFileSync(new URL("../../config/nats/pantau-hub.conf", import.meta.url), "utf8");
const root = mkdtempSync(join(tmpdir(), "pantau-nats-conf-"));
const live = join(root, "etc/letsencrypt/live/pantau.example.sch.id");
const authorizationPath = join(root, "var/lib/pantau/nats/authorization.conf");
const configPath = join(root, "etc/nats-server.conf");
mkdirSync(live, { recursive: true });
mkdirSync(join(root, "var/lib/pantau/nats"), { recursive: true });
mkdirSync(join(root, "run/pantau"), { recursive: true });
execFileSync(
  "openssl",
  [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"],
    // DNS:localhost: given an IP address, @nats-io/transport-node 3.4 checks the certificate against
    // "localhost" (it sets no TLS server name for an IP, and Node then defaults to localhost).
    ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", join(live, "privkey.pem")],
    ...["-out", join(live, "fullchain.pem")],
  ],
  { stdio: "pipe" },
);

const hubKeys = newNkeyPair();
const edge = { id: "edg_config", ...newNkeyPair() };
const authorization = renderAuthorization({
  hub: hubKeys,
  edges: [{ id: edge.id, publicKey: edge.publicKey }],
});

/** `text` with `from` replaced by `to`, which must occur exactly `times` times (a changed shipped file fails). */
function substitute(text: string, from: string, to: string, times = 1): string {
  expect(text.split(from).length - 1, `occurrences of ${from}`).toBe(times);
  return text.replaceAll(from, to);
}
const withTestCerts = substitute(shipped, "/etc/letsencrypt/", `${root}/etc/letsencrypt/`, 3);

const check = () => spawnSync(natsServerBinary, ["-c", configPath, "-t"], { encoding: "utf8" });

let server: TestNatsServer | undefined;
const open: NatsConnection[] = [];
afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("config/nats/pantau-hub.conf", () => {
  it("passes nats-server -t as shipped, reading the authorization file beside /var/lib/pantau", () => {
    writeFileSync(configPath, withTestCerts);
    writeFileSync(authorizationPath, authorization);
    const ok = check();
    expect(ok.stderr + ok.stdout).toContain("is valid");
    expect(ok.status).toBe(0);

    // The include really is that file: without it, or with a broken one, the server refuses to start.
    rmSync(authorizationPath);
    const missing = check();
    expect(missing.status).not.toBe(0);
    expect(missing.stderr + missing.stdout).toContain(authorizationPath);
    writeFileSync(authorizationPath, 'authorization { users: [ { nkey: "not-a-key" } ] }\n');
    expect(check().status).not.toBe(0);
  });

  it("runs: TLS, nkeys only, 8 MB messages, the WebSocket listener on loopback", async () => {
    let text = substitute(withTestCerts, "listen: 0.0.0.0:4222", "listen: 127.0.0.1:-1");
    text = substitute(text, "    port: 8443", "    port: -1");
    text = substitute(text, 'pid_file: "/run/pantau/nats.pid"', `pid_file: "${root}/run/pantau/nats.pid"`);
    server = await startNatsServer({
      authorization,
      config: {
        dir: root,
        path: configPath,
        text,
        authorizationPath,
        pidFile: join(root, "run/pantau/nats.pid"),
      },
    });
    expect(server.log()).toMatch(/Listening for websocket clients on ws:\/\/127\.0\.0\.1:\d+/);
    const tls = { caFile: join(live, "fullchain.pem") };
    const hub = await connect({
      servers: server.url,
      tls,
      authenticator: nkeyAuthenticator(seedBytes(hubKeys.seed)),
    });
    open.push(hub);
    const edgeNc = await connect({
      servers: server.url,
      tls,
      authenticator: nkeyAuthenticator(seedBytes(edge.seed)),
    });
    open.push(edgeNc);
    expect(hub.info?.tls_required).toBe(true);
    expect(hub.info?.max_payload).toBe(8 * 1024 * 1024);

    const anonymous = await connect({ servers: server.url, tls, reconnect: false }).then(
      (nc) => nc.close(),
      (e: unknown) => e,
    );
    expect(anonymous).toBeInstanceOf(errors.AuthorizationError);

    // A keyframe fragment above the default 1 MB arrives whole.
    const got: Uint8Array[] = [];
    hub.subscribe(`pantau.edge.${edge.id}.media.>`, {
      callback: (_err, m) => {
        got.push(m.data);
      },
    });
    await hub.flush();
    const fragment = new Uint8Array(6 * 1024 * 1024).map((_, i) => i % 251);
    edgeNc.publish(`pantau.edge.${edge.id}.media.cam_1.main`, fragment);
    await waitFor("the 6 MB fragment at the hub", () => got.length > 0);
    expect(Buffer.from(got[0]!).equals(Buffer.from(fragment))).toBe(true);

    // And the hub's reload goes through the shipped pid_file.
    const third = { id: "edg_third", ...newNkeyPair() };
    expect(
      await server.writeAuthorization(
        renderAuthorization({
          hub: hubKeys,
          edges: [edge, third].map((e) => ({ id: e.id, publicKey: e.publicKey })),
        }),
      ),
    ).toBe(true);
    const thirdNc = await connect({
      servers: server.url,
      tls,
      authenticator: nkeyAuthenticator(seedBytes(third.seed)),
    });
    open.push(thirdNc);
    await thirdNc.flush();
  });
});

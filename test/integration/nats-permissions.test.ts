import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  errors,
  nkeyAuthenticator,
  type Msg,
  type NatsConnection,
  type Status,
  type Subscription,
} from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsAuthorizationFile, NatsReloadError } from "../../gateway/src/fleet/nats-authorization-file.js";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair, seedBytes, type NkeyPair } from "../../gateway/src/fleet/nats-nkeys.js";
import { waitFor } from "../helpers/media.js";
import { startNatsServer, type TestNatsServer } from "../helpers/nats-server.js";
import { exited, killOnExit } from "../helpers/ready-process.js";

// The server side of the edge↔hub link (issue 13): a real nats-server with the authorization file the hub
// renders, real @nats-io/transport-node clients with nkeys. What an edge may do is decided by the server, so
// every refusal here is the server's (a permissions violation or an authorization error), and "never
// received" is proven by a message sent after the refused one arriving first: one server delivers one
// connection's messages in order.

const A = "edg_schoolA";
const B = "edg_schoolB";
const C = "edg_schoolC";
const hubKeys = newNkeyPair();
const keys: Record<string, NkeyPair> = { [A]: newNkeyPair(), [B]: newNkeyPair(), [C]: newNkeyPair() };
const fleet = (...ids: string[]) =>
  renderAuthorization({
    hub: { publicKey: hubKeys.publicKey },
    edges: ids.map((id) => ({ id, publicKey: keys[id]!.publicKey })),
  });

let server: TestNatsServer | undefined;
const open: NatsConnection[] = [];

/** A connection and every status event it reported. */
interface Client {
  nc: NatsConnection;
  statuses: Status[];
}

async function client(seed: string | undefined, name: string): Promise<Client> {
  const nc = await connect({
    servers: server!.url,
    name,
    ...(seed !== undefined && { authenticator: nkeyAuthenticator(seedBytes(seed)) }),
    reconnectTimeWait: 200,
    maxReconnectAttempts: 3,
  });
  open.push(nc);
  const statuses: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) statuses.push(s);
  })();
  return { nc, statuses };
}

/** Waits for the server's permissions violation for `operation` on `subject`, reported to `c`. */
const violation = (c: Client, operation: "publish" | "subscription", subject: string) =>
  waitFor(`a ${operation} permissions violation on ${subject}`, () =>
    c.statuses.find(
      (s) =>
        s.type === "error" &&
        s.error instanceof errors.PermissionViolationError &&
        s.error.operation === operation &&
        s.error.subject === subject,
    ),
  );

/** Every message a subscription gets, in order. */
function collect(sub: Subscription): Msg[] {
  const got: Msg[] = [];
  void (async () => {
    for await (const m of sub) got.push(m);
  })().catch(() => undefined);
  return got;
}

const refusal = async (seed: string | undefined) => {
  const err = await client(seed, "refused").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(errors.AuthorizationError);
};

let hub: Client;
let edgeA: Client;
let edgeB: Client;

beforeAll(async () => {
  server = await startNatsServer({ authorization: fleet(A, B) });
  hub = await client(hubKeys.seed, "hub");
  edgeA = await client(keys[A]!.seed, A);
  edgeB = await client(keys[B]!.seed, B);
});

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
  await server?.stop();
});

describe("nats-server with the hub's authorization file", () => {
  it("lets the hub and the listed edges in, with their own keys only", async () => {
    for (const c of [hub, edgeA, edgeB]) await c.nc.flush();
    expect(server!.log()).not.toMatch(/Authorization Violation/);
    // A key that is not in the file, and no key at all.
    await refusal(newNkeyPair().seed);
    await refusal(undefined);
  });

  it("keeps an edge off another edge's media and status subjects", async () => {
    const media = collect(hub.nc.subscribe("pantau.edge.*.media.>"));
    const status = collect(hub.nc.subscribe("pantau.edge.*.status"));
    await hub.nc.flush();

    edgeA.nc.publish(`pantau.edge.${B}.media.cam.main`, "forged fragment");
    edgeA.nc.publish(`pantau.edge.${B}.status`, "forged heartbeat");
    edgeA.nc.publish(`pantau.edge.${A}.status`, "A's own heartbeat");
    edgeA.nc.publish(`pantau.edge.${A}.media.cam.main`, "A's own fragment");
    await violation(edgeA, "publish", `pantau.edge.${B}.media.cam.main`);
    await violation(edgeA, "publish", `pantau.edge.${B}.status`);

    await waitFor("A's own heartbeat and fragment at the hub", () => status.length > 0 && media.length > 0);
    expect(status.map((m) => [m.subject, m.string()])).toEqual([
      [`pantau.edge.${A}.status`, "A's own heartbeat"],
    ]);
    expect(media.map((m) => [m.subject, m.string()])).toEqual([
      [`pantau.edge.${A}.media.cam.main`, "A's own fragment"],
    ]);
    // A permissions violation is reported, not a reason to close the connection.
    expect(edgeA.nc.isClosed()).toBe(false);
  });

  it("keeps an edge from reading another edge's commands", async () => {
    const deniedSubjects = [`pantau.edge.${B}.ctl.>`, "pantau.edge.*.ctl.>", `pantau.edge.${B}.media.>`, ">"];
    const denied = deniedSubjects.map((subject) => {
      const sub = edgeA.nc.subscribe(subject);
      return { subject, sub, got: collect(sub) };
    });
    const own = collect(edgeA.nc.subscribe(`pantau.edge.${A}.ctl.>`));
    const atB = collect(edgeB.nc.subscribe(`pantau.edge.${B}.ctl.>`));
    await edgeA.nc.flush();
    await edgeB.nc.flush();
    for (const { subject, sub } of denied) {
      await violation(edgeA, "subscription", subject);
      // The client closes the refused subscription with the server's error.
      await expect(sub.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
    }

    hub.nc.publish(`pantau.edge.${B}.ctl.relay.start`, "for B only");
    hub.nc.publish(`pantau.edge.${A}.ctl.relay.start`, "for A");
    await waitFor("the commands at A and B", () => own.length > 0 && atB.length > 0);
    expect(atB.map((m) => m.string())).toEqual(["for B only"]);
    expect(own.map((m) => m.string())).toEqual(["for A"]);
    for (const { got } of denied) expect(got).toEqual([]);
  });

  it("lets an edge answer the hub's requests and publish on no other reply subject", async () => {
    edgeA.nc.subscribe(`pantau.edge.${A}.ctl.ping`, {
      callback: (_err, m) => {
        m.respond(`pong from ${A}`);
      },
    });
    await edgeA.nc.flush();
    const reply = await hub.nc.request(`pantau.edge.${A}.ctl.ping`, "ping", { timeout: 10_000 });
    expect(reply.string()).toBe(`pong from ${A}`);

    const inbox = collect(hub.nc.subscribe("_INBOX.x"));
    const status = collect(hub.nc.subscribe(`pantau.edge.${A}.status`));
    await hub.nc.flush();
    edgeA.nc.publish("_INBOX.x", "not a reply to anything");
    edgeA.nc.publish(`pantau.edge.${A}.ctl.ping`, "a command A gives itself");
    edgeA.nc.publish(`pantau.edge.${A}.status`, "marker");
    await violation(edgeA, "publish", "_INBOX.x");
    await violation(edgeA, "publish", `pantau.edge.${A}.ctl.ping`);
    await waitFor("the marker at the hub", () => status.length > 0);
    expect(inbox).toEqual([]);
  });

  it("keeps the hub to commands: it cannot speak as an edge", async () => {
    hub.nc.publish(`pantau.edge.${A}.status`, "forged by the hub");
    await violation(hub, "publish", `pantau.edge.${A}.status`);
    hub.nc.subscribe(`pantau.edge.${A}.ctl.>`);
    await violation(hub, "subscription", `pantau.edge.${A}.ctl.>`);
  });

  it("lets a new edge in after a reload, and reloads only when the file changes", async () => {
    await refusal(keys[C]!.seed);
    expect(await server!.writeAuthorization(fleet(A, B, C))).toBe(true);
    const edgeC = await client(keys[C]!.seed, C);
    await edgeC.nc.flush();
    // The same fleet again: nothing written, no SIGHUP (the helper would wait for a reload line otherwise).
    const reloadsBefore = server!.log().split("Reloaded server configuration").length;
    expect(await server!.writeAuthorization(fleet(C, B, A))).toBe(false);
    await hub.nc.flush();
    expect(server!.log().split("Reloaded server configuration").length).toBe(reloadsBefore);
    expect(statSync(server!.authorizationFile.path).mode & 0o777).toBe(0o640);
    expect(readdirSync(server!.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("cuts a removed edge off and refuses it from then on", async () => {
    expect(await server!.writeAuthorization(fleet(B, C))).toBe(true);
    await waitFor("edge A's authorization error", () =>
      edgeA.statuses.find((s) => s.type === "error" && s.error instanceof errors.AuthorizationError),
    );
    await waitFor("edge A's connection closed", () => edgeA.nc.isClosed());
    await refusal(keys[A]!.seed);
    // B was not touched.
    const own = collect(edgeB.nc.subscribe(`pantau.edge.${B}.ctl.after`));
    await edgeB.nc.flush();
    hub.nc.publish(`pantau.edge.${B}.ctl.after`, "still here");
    await waitFor("B's command", () => own.length > 0);
  });
});

describe("NatsAuthorizationFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "pantau-nats-file-"));
  const path = join(dir, "authorization.conf");
  const pidFile = join(dir, "nats.pid");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const reloadError = (file: NatsAuthorizationFile, text: string) =>
    file.write(text).then(
      () => undefined,
      (e: unknown) => e,
    );

  it("names a missing pid file, writes the file anyway and retries the signal next time", async () => {
    const file = new NatsAuthorizationFile({ path, pidFile });
    const err = await reloadError(file, fleet(A));
    expect(err).toBeInstanceOf(NatsReloadError);
    expect(err).toMatchObject({ code: "nats_pid_file_missing", message: expect.stringContaining(pidFile) });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    // Same text: still owed a reload, so it tries again rather than saying "unchanged".
    expect(await reloadError(file, fleet(A))).toMatchObject({ code: "nats_pid_file_missing" });
  });

  it("tells a server that is gone from a pid that is not nats-server's", async () => {
    const file = new NatsAuthorizationFile({ path, pidFile });
    const gone = spawn("true");
    killOnExit(gone);
    await exited(gone);
    writeFileSync(pidFile, `${String(gone.pid)}\n`);
    expect(await reloadError(file, fleet(B))).toMatchObject({ code: "nats_not_running" });

    // A pid file left behind whose pid now belongs to another process: that process gets no SIGHUP.
    const other = spawn("sleep", ["60"]);
    killOnExit(other);
    writeFileSync(pidFile, `${String(other.pid)}\n`);
    expect(await reloadError(file, fleet(C))).toMatchObject({ code: "nats_pid_not_nats_server" });
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
    const done = exited(other);
    other.kill("SIGKILL");
    await done;

    writeFileSync(pidFile, "twelve\n");
    expect(await reloadError(file, fleet(A, C))).toMatchObject({ code: "nats_pid_file_invalid" });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair } from "../../gateway/src/fleet/nats-nkeys.js";
import { startNatsServer, type TestNatsServer } from "../../test/helpers/nats-server.js";
import { onCleanup, stopOnce } from "./cleanup.js";
import { sleep } from "./env.js";
import { startGatewayProcess, type GatewayProcess } from "./gateway-process.js";

/** An edge as GET /api/edges/:id shows it at the hub, as far as a benchmark reads it. */
export interface EdgeLinkView {
  link: {
    online: boolean;
    rttMs: number | null;
    relay: { droppedFragments: number; sentBytes: number; activeRenditions: number } | null;
  };
}

export interface Fleet {
  nats: TestNatsServer;
  hub: GatewayProcess;
  edge: GatewayProcess;
  edgeId: string;
  /** The hub's classroom of the edge's school, where registered cameras go. */
  classroomId: string;
  /** Registers a camera at the edge from the hub (POST /api/edges/:id/cameras); its id at both. */
  addEdgeCamera(body: Record<string, unknown>): Promise<string>;
  /** GET /api/edges/:id at the hub. */
  edgeView(): Promise<EdgeLinkView>;
  stop(): Promise<void>;
}

/**
 * A hub and one edge as separate gateway processes over a real nats-server on loopback, set up as
 * test/integration/fleet-link.test.ts does: the edge made through POST /api/edges (the hub rewrites the
 * server's authorization and reloads it), its seed handed to the edge, which dials in. `hubEnv` and
 * `edgeEnv` add settings (limits, the heartbeat interval).
 */
export async function startFleet(
  hubEnv: Record<string, string> = {},
  edgeEnv: Record<string, string> = {},
): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-bench-fleet-"));
  onCleanup("fleet folder", () => rmSync(dir, { recursive: true, force: true }));
  const hubKey = newNkeyPair();
  writeFileSync(join(dir, "hub.nk"), hubKey.seed, { mode: 0o600 });
  const nats = await startNatsServer({ authorization: renderAuthorization({ hub: hubKey, edges: [] }) });
  const stopNats = stopOnce("nats-server", () => nats.stop());
  const hub = await startGatewayProcess({
    PANTAU_ROLE: "hub",
    PANTAU_FLEET_SERVERS: nats.url,
    PANTAU_FLEET_SEED_FILE: join(dir, "hub.nk"),
    PANTAU_FLEET_AUTHORIZATION_FILE: nats.authorizationFile.path,
    PANTAU_FLEET_NATS_PID_FILE: nats.pidFile,
    ...hubEnv,
  });
  const made = (await hub.admin.expect(201, "POST", "/api/edges", {
    name: "Bench edge",
    schoolId: hub.schoolId,
  })) as { edge: { id: string }; credentials: { seed: string } };
  const edgeId = made.edge.id;
  writeFileSync(join(dir, "edge.nk"), made.credentials.seed, { mode: 0o600 });
  await waitUntil("the NATS server to take the edge's key", 10_000, () => nats.log().includes("Reloaded"));
  const edge = await startGatewayProcess({
    PANTAU_ROLE: "edge",
    PANTAU_FLEET_SERVERS: nats.url,
    PANTAU_FLEET_EDGE_ID: edgeId,
    PANTAU_FLEET_SEED_FILE: join(dir, "edge.nk"),
    ...edgeEnv,
  });
  const edgeView = async () => (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}`)) as EdgeLinkView;
  await waitUntil("the edge online at the hub", 30_000, async () => (await edgeView()).link.online);
  const { id: classroomId } = (await hub.admin.expect(
    201,
    "POST",
    `/api/schools/${hub.schoolId}/classrooms`,
    { name: "Kelas bench" },
  )) as { id: string };
  return {
    nats,
    hub,
    edge,
    edgeId,
    classroomId,
    async addEdgeCamera(body) {
      const c = (await hub.admin.expect(201, "POST", `/api/edges/${edgeId}/cameras`, {
        classroomId,
        ...body,
      })) as { id: string };
      return c.id;
    },
    edgeView,
    async stop() {
      await edge.stop();
      await hub.stop();
      await stopNats();
    },
  };
}

/** Polls `check` every 250 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(250);
  }
}

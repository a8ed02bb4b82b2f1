import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair } from "../../gateway/src/fleet/nats-nkeys.js";
import { startTestGateway, type TestGateway } from "./gateway.js";
import { waitFor } from "./media.js";
import { memoryLog } from "./memory-log.js";
import { startNatsServer, type TestNatsServer } from "./nats-server.js";

export interface TestFleet {
  nats: TestNatsServer;
  hub: TestGateway;
  hubLog: string[];
  schoolId: string;
  edgeId: string;
  /** The edge's seed file. */
  seedFile: string;
  dir: string;
  /** Starts the school's edge in this process (servers: the hub's NATS URL); its data stays until close(). */
  startEdge(o?: { servers?: string[]; log?: Logger; dataDir?: string }): Promise<TestGateway>;
  close(): Promise<void>;
}

/**
 * A hub in this process with a real nats-server on loopback and one school with an edge made through the
 * hub's API (its seed in a file), as an operator would: the edge itself is started by startEdge().
 */
export async function startFleet(o: { natsExtraConfig?: string } = {}): Promise<TestFleet> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-fleet-"));
  const opened: (() => Promise<void>)[] = [];
  const hubLog: string[] = [];
  try {
    const hubKey = newNkeyPair();
    writeFileSync(join(dir, "hub.nk"), hubKey.seed, { mode: 0o600 });
    const nats = await startNatsServer({
      authorization: renderAuthorization({ hub: hubKey, edges: [] }),
      ...(o.natsExtraConfig !== undefined && { extraConfig: o.natsExtraConfig }),
    });
    opened.push(() => nats.stop());
    const hub = await startTestGateway(
      {
        role: "hub",
        fleet: {
          servers: [nats.url],
          seedFile: join(dir, "hub.nk"),
          authorizationFile: nats.authorizationFile.path,
          natsPidFile: nats.pidFile,
          offlineAfterSeconds: 3,
          edgeServers: [nats.url],
        },
      },
      { log: memoryLog(hubLog), keepData: true },
    );
    opened.push(async () => {
      await hub.close();
      rmSync(hub.dataDir, { recursive: true, force: true });
    });
    const school = (await hub.admin.expect(201, "POST", "/api/schools", { name: "SDN 1 Sukamaju" })) as {
      id: string;
    };
    const made = (await hub.admin.expect(201, "POST", "/api/edges", {
      name: "SDN 1 edge",
      schoolId: school.id,
    })) as { edge: { id: string }; credentials: { seed: string; servers?: string[] } };
    // The edge is set up with what the hub handed out, as an installer copies it from the console.
    const handedOut = made.credentials.servers;
    if (handedOut === undefined) throw new Error("the hub handed out no servers (fleet.edgeServers)");
    const seedFile = join(dir, "edge.nk");
    writeFileSync(seedFile, made.credentials.seed, { mode: 0o600 });
    await waitFor("the NATS server to take the edge's key", () => nats.log().includes("Reloaded"));
    const edges: TestGateway[] = [];
    return {
      nats,
      hub,
      hubLog,
      schoolId: school.id,
      edgeId: made.edge.id,
      seedFile,
      dir,
      async startEdge(e = {}) {
        const edge = await startTestGateway(
          {
            role: "edge",
            fleet: { servers: e.servers ?? handedOut, edgeId: made.edge.id, seedFile, statusSeconds: 0.5 },
          },
          {
            keepData: true,
            ...(e.log && { log: e.log }),
            ...(e.dataDir !== undefined && { dataDir: e.dataDir }),
          },
        );
        edges.push(edge);
        return edge;
      },
      async close() {
        for (const edge of edges) {
          await edge.close();
          rmSync(edge.dataDir, { recursive: true, force: true });
        }
        for (const close of opened.reverse()) await close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** GET /api/edges/:id at the hub until its link says `online`. */
export function waitEdgeOnline(hub: TestGateway, edgeId: string, online = true): Promise<unknown> {
  return waitFor(`edge ${online ? "online" : "offline"}`, async () => {
    const e = (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}`)) as { link: { online: boolean } };
    return e.link.online === online ? e : undefined;
  });
}
